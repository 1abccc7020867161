-- Owners invite by email; existing accounts join at once, others when they
-- sign in with that confirmed address. Nobody else can invite or forge one.
BEGIN;
select plan(23);

select tests.create_world('a');
select tests.create_world('b');
select tests.create_user('newbie');
update auth.users set email = 'New.Bie@Example.com', email_confirmed_at = null where id = tests.id('newbie');

-- Owner of A invites an existing account (B's dj) as manager: joins at once.
select tests.authenticate_as('a.owner');
select is(public.invite_member(tests.id('a'), 'B.DJ@test.cratemesh.invalid', 'manager'), 'added',
          'an existing account is added straight away (email case-insensitive)');
select tests.as_superuser();
select is((select role::text from public.memberships where tenant_id = tests.id('a') and user_id = tests.id('b.dj')),
          'manager', 'the membership has the invited role');

-- Unknown address: an open invitation, updated (not duplicated) when sent again.
select tests.authenticate_as('a.owner');
select is(public.invite_member(tests.id('a'), 'someone@example.com', 'dj'), 'invited', 'an unknown address gets an invitation');
select is(public.invite_member(tests.id('a'), 'SOMEONE@example.com', 'player'), 'invited', 'inviting again is accepted');
select is((select count(*)::int from public.invitations where tenant_id = tests.id('a')), 1, 'one open invitation per address');
select is((select role::text from public.invitations where tenant_id = tests.id('a')), 'player', 'the second invitation changed the role');
select throws_ok(format('select public.invite_member(%L, %L, %L)', tests.id('a'), 'not an email', 'dj'),
                 '22023', null, 'a malformed address is refused');
select throws_ok(format('select public.invite_member(%L, %L, %L)', tests.id('a'), 'a.owner@test.cratemesh.invalid', 'dj'),
                 '22023', null, 'an owner cannot demote themselves by invitation');

-- Only owners of that tenant may invite.
select throws_ok(format('select public.invite_member(%L, %L, %L)', tests.id('b'), 'x@example.com', 'owner'),
                 '42501', null, 'an owner of A cannot invite into B');
select tests.authenticate_as('a.manager');
select throws_ok(format('select public.invite_member(%L, %L, %L)', tests.id('a'), 'x@example.com', 'dj'),
                 '42501', null, 'a manager cannot invite');
select is((select count(*)::int from public.invitations), 0, 'a manager does not see invitations');
select tests.authenticate_as('a.player1');
select throws_ok(format('select public.invite_member(%L, %L, %L)', tests.id('a'), 'x@example.com', 'owner'),
                 '42501', null, 'a player cannot invite');
select tests.authenticate_as('b.owner');
select is((select count(*)::int from public.invitations), 0, 'another tenant''s owner sees none of A''s invitations');
select tests.authenticate_as_anon();
select throws_ok('select * from public.invitations', '42501', null, 'anon cannot read invitations');
select throws_ok(format('select public.invite_member(%L, %L, %L)', tests.id('a'), 'x@example.com', 'dj'),
                 '42501', null, 'anon cannot invite');

-- Nobody writes invitations directly.
select tests.authenticate_as('a.owner');
select throws_ok(format('insert into public.invitations (tenant_id, email, role) values (%L, %L, %L)',
                        tests.id('a'), 'direct@example.com', 'owner'),
                 '42501', null, 'owners cannot insert invitations directly');
select throws_ok('update public.invitations set role = ''owner''', '42501', null, 'nor change them');

-- Accepting: only with a confirmed address that matches.
select tests.authenticate_as('a.owner');
select is(public.invite_member(tests.id('a'), 'new.bie@example.com', 'dj'), 'added',
          'the account exists (unconfirmed), so it is added at once');
select tests.as_superuser();
delete from public.memberships where user_id = tests.id('newbie');
insert into public.invitations (tenant_id, email, role) values (tests.id('b'), 'new.bie@example.com', 'manager');
select tests.authenticate_as('newbie');
select is(public.accept_invitations(), 0, 'an unconfirmed address accepts nothing');
select tests.as_superuser();
update auth.users set email_confirmed_at = now() where id = tests.id('newbie');
select set_config('role', 'authenticated', true);
select set_config('request.jwt.claims',
                  json_build_object('sub', tests.id('newbie'), 'role', 'authenticated', 'email', 'new.bie@example.com')::text, true);
select is((select count(*)::int from public.invitations where accepted_at is null), 1, 'the invitee can see their invitation');
select is(public.accept_invitations(), 1, 'a confirmed address accepts its invitation');
select is(public.accept_invitations(), 0, 'accepting twice changes nothing');
select is((select role::text from public.memberships where tenant_id = tests.id('b') and user_id = tests.id('newbie')),
          'manager', 'the invitee is now a member with the invited role');

select * from finish();
ROLLBACK;
