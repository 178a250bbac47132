"""User accounts against the real database: the password policy, hashing, logging in (throttled, with one answer
for every refusal), who may manage which account, sessions ended by password changes, CSRF tokens."""

import secrets

import pytest
from sqlalchemy import text

from gis.db import get_engine, transaction
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from gis.settings import get_settings
from layers.access import passwords, roles, sessions, users
from layers.access.caller import SYSTEM
from layers.registry import people
from tests.conftest import scalar
from tests.crafted import town

GOOD = "Lanterns-over-the-Huai"


def unique(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


def make(role="viewer", region=None, *, caller=SYSTEM, login=None, password=GOOD, must_change=False, **kw):
    with transaction() as s:
        return users.create(s, caller, login=login or unique(), display_name=kw.pop("name", "测试用户"), role=role,
                            password=password, region_code=region, must_change_password=must_change, **kw)


def login(name, password=GOOD, where=None):
    with transaction() as s:
        return users.authenticate(s, name, password, where or address())


@pytest.fixture(scope="module")
def towns(database):
    return town("419981", 114.40, 35.40), town("419982", 114.44, 35.40)


# --- the policy and the hashes -------------------------------------------------------------------------------
@pytest.mark.parametrize(("password", "words"), [
    ("", "required"),
    ("short1!", "at least 10"),
    ("woaini1314", "too common"),
    ("WOAINI1314", "too common"),
    ("1234567890", "too common"),
    ("qq123456789", "too common"),
    ("13812345678-pass", "login name"),
    ("x" * 300, "at most"),
    ("tab\there-and-long", "control"),
])
def test_policy_refuses_with_the_field_named(password, words):
    with pytest.raises(InvalidInput) as info:
        passwords.check_policy(password, login="13812345678")
    assert info.value.field == "password" and words in info.value.message
    assert info.value.status == 422


def test_common_list_is_shipped_and_holds_the_chinese_favourites():
    common = passwords.common_passwords()
    assert len(common) > 300
    assert {"123456", "a123456", "woaini1314", "qq123456", "5201314"} <= common


def test_login_inside_password_is_refused_whatever_its_width_or_case():
    with pytest.raises(InvalidInput, match="login name"):
        passwords.check_policy("my-ＺＨＡＮＧＳＡＮ-pass", login="zhangsan")
    passwords.check_policy("a fine long passphrase", login="zhangsan")


def test_hash_round_trip_and_rehash_when_the_cost_changed():
    h = passwords.hash_password(GOOD)
    assert h.startswith("$argon2id$") and GOOD not in h
    assert passwords.verify(h, GOOD) == (True, None)
    assert passwords.verify(h, GOOD + "x") == (False, None)
    assert passwords.verify("not a hash", GOOD) == (False, None)
    cheap = passwords._hasher(1, 8 * 1024, 1).hash(GOOD)  # made with other parameters: verified, then redone
    ok, new = passwords.verify(cheap, GOOD)
    assert ok and new is not None and new != cheap and passwords.verify(new, GOOD) == (True, None)


def test_the_api_uses_the_one_copy_of_the_roles():
    from api import auth

    assert auth.PERMISSIONS is roles.PERMISSIONS and auth.SCOPED_ROLES is roles.SCOPED_ROLES


# --- creating accounts ---------------------------------------------------------------------------------------
def test_create_normalises_the_login_and_keeps_no_plain_password(towns):
    d, _ = towns
    u = make("street_chief", d["subdistrict"], login=" １３９００００１１１１ ", name="王街长")
    assert u["login"] == "13900001111" and u["role"] == "street_chief" and "password_hash" not in u
    stored = scalar("SELECT password_hash FROM users WHERE id = :i", i=u["id"])
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert scalar("SELECT actor FROM audit_log WHERE entity = 'users' AND entity_id = :i", i=str(u["id"])) == "system"
    with pytest.raises(Conflict):
        make("viewer", login="13900001111")


@pytest.mark.parametrize(("kw", "field"), [
    ({"role": "mayor"}, "role"),
    ({"role": "street_chief", "region": None}, "region_code"),
    ({"role": "viewer", "region": "999999"}, "region_code"),
    ({"role": "viewer", "login": "a"}, "login"),
    ({"role": "viewer", "login": "has space"}, "login"),
    ({"role": "viewer", "name": "  "}, "display_name"),
    ({"role": "viewer", "password": "123456"}, "password"),
    ({"role": "viewer", "person_id": 987654321}, "person_id"),
])
def test_bad_accounts_are_refused_and_nothing_is_written(towns, kw, field):
    before = scalar("SELECT count(*) FROM users")
    with pytest.raises(InvalidInput) as info:
        make(kw.pop("role"), kw.pop("region", None), **kw)
    assert info.value.field == field
    assert scalar("SELECT count(*) FROM users") == before


def test_staff_create_only_lower_roles_inside_their_region(towns):
    d, other = towns
    staff = users.caller_for(make("district_staff", d["district"], name="区创城办"))
    assert staff.user_id and staff.scope == d["district"]
    chief = make("street_chief", d["subdistrict"], caller=staff)
    assert chief["created_by"] == staff.actor
    with pytest.raises(Forbidden) as info:
        make("admin", caller=staff)
    assert info.value.field == "role"
    with pytest.raises(Forbidden):
        make("district_staff", d["district"], caller=staff)  # their own rank
    with pytest.raises(Forbidden) as info:
        make("street_chief", other["subdistrict"], caller=staff)
    assert info.value.field == "region_code"
    with pytest.raises(Forbidden):
        make("viewer", None, caller=staff)  # a city-wide account would see past their region
    # A street chief manages no accounts at all.
    with pytest.raises(Forbidden):
        make("viewer", d["community"], caller=users.caller_for(chief))


def test_an_admin_with_a_region_manages_every_role_but_only_there(towns):
    d, other = towns
    local = users.caller_for(make("admin", d["district"]))
    assert make("admin", d["subdistrict"], caller=local)["role"] == "admin"
    with pytest.raises(Forbidden):
        make("viewer", other["district"], caller=local)
    with pytest.raises(Forbidden):
        make("admin", None, caller=local)


def test_staff_see_and_manage_only_their_region(towns):
    d, other = towns
    staff = users.caller_for(make("district_staff", d["district"]))
    mine = make("grid_worker", d["community"])
    theirs = make("grid_worker", other["community"])
    peer = make("district_staff", d["district"])
    with transaction() as s:
        listed = {u["login"] for u in users.list_users(s, staff)}
        assert mine["login"] in listed and theirs["login"] not in listed
        with pytest.raises(NotFound):
            users.get(s, staff, theirs["login"])
        assert users.get(s, staff, mine["login"])["id"] == mine["id"]
    with transaction() as s, pytest.raises(NotFound):
        users.disable(s, staff, theirs["login"])
    with transaction() as s, pytest.raises(Forbidden):
        users.reset_password(s, staff, peer["login"], "Another-long-secret")
    with transaction() as s:
        users.disable(s, staff, mine["login"])
    assert scalar("SELECT active FROM users WHERE id = :i", i=mine["id"]) is False


def test_a_login_taken_elsewhere_is_no_oracle(towns):
    d, other = towns
    staff = users.caller_for(make("district_staff", d["district"]))
    taken = make("viewer", other["district"])
    with pytest.raises(InvalidInput, match="cannot be used"):
        make("viewer", d["district"], caller=staff, login=taken["login"])


# --- logging in ----------------------------------------------------------------------------------------------
def test_login_opens_a_session_that_names_the_account(towns):
    d, _ = towns
    with transaction() as s:
        pid = people.create_person(s, name="李网格", phone=None, region_code=d["community"], caller=SYSTEM)
    u = make("grid_worker", d["community"], name="李网格", person_id=pid)
    done = login(u["login"])
    assert done.user["id"] == u["id"] and "password_hash" not in done.user
    assert done.csrf_token == sessions.csrf_token(done.session_id)
    assert scalar("SELECT last_login_at IS NOT NULL FROM users WHERE id = :i", i=u["id"])
    assert scalar("SELECT session_hash <> :sid FROM web_sessions WHERE user_id = :i", sid=done.session_id, i=u["id"])
    with transaction() as s:
        seen = users.resolve_session(s, done.session_id)
    assert (seen.user_id, seen.login, seen.person_id, seen.region_code) == (u["id"], u["login"], pid, d["community"])
    assert seen.caller.actor == f"user:{u['id']} (李网格)" and seen.caller.can("handle_problems")
    assert seen.caller.user_id == u["id"] and seen.caller.scope == d["community"]
    with transaction() as s:
        assert users.me(s, seen.caller)["login"] == u["login"]
        # What the account writes names it (and its person) in the audit rows and the problem events.
        users.change_password(s, seen.caller, old_password=GOOD, new_password="Another-fine-secret")
    row = scalar("SELECT json_build_object('u', actor_user_id, 'p', actor_person_id) FROM audit_log "
                 "WHERE entity = 'users' AND action = 'change_password' AND entity_id = :i", i=str(u["id"]))
    assert row == {"u": u["id"], "p": pid}
    with get_engine().connect() as conn:  # an event row, rolled back: no problem of any test gets it
        got = conn.execute(text("INSERT INTO problem_events (problem_id, actor, action, to_status) "
                                "VALUES (-1, :a, '测试', 'reported') RETURNING actor_user_id, actor_person_id"),
                           {"a": seen.caller.actor}).one()
        old = conn.execute(text("INSERT INTO problem_events (problem_id, actor, action, to_status) "
                                "VALUES (-1, 'token:7 (脚本)', '测试', 'reported') RETURNING actor_user_id")).scalar()
        conn.rollback()
    assert tuple(got) == (u["id"], pid) and old is None


def test_unknown_login_wrong_password_and_disabled_account_look_the_same(towns):
    u = make("viewer")
    off = make("viewer")
    with transaction() as s:
        users.disable(s, SYSTEM, off["login"])
    answers = []
    for name, password in ((unique("nobody"), GOOD), (u["login"], GOOD + "!"), (off["login"], GOOD)):
        with pytest.raises(Unauthorized) as info:
            login(name, password)
        answers.append((type(info.value), info.value.message, info.value.field))
    assert len(set(answers)) == 1
    assert login(u["login"]).user["id"] == u["id"]


def test_failures_are_throttled_per_account(towns):
    u = make("viewer")
    limit = get_settings().auth_failures_per_account
    for _ in range(limit):  # each from another address: the account's own count blocks
        with pytest.raises(Unauthorized):
            login(u["login"], "wrong password!!")
    with pytest.raises(TooManyRequests) as info:
        login(u["login"], "wrong password!!")
    assert info.value.retry_after >= 1
    # Blocked: even the right password is not looked at.
    with pytest.raises(TooManyRequests):
        login(u["login"])
    assert scalar("SELECT last_login_at FROM users WHERE id = :i", i=u["id"]) is None
    # An admin's reset forgives the account's failures.
    with transaction() as s:
        users.reset_password(s, SYSTEM, u["login"], "A-brand-new-secret")
    assert login(u["login"], "A-brand-new-secret").must_change_password


def test_failures_are_throttled_per_address(towns, monkeypatch):
    monkeypatch.setattr(get_settings(), "auth_failures_per_ip", 3)
    where = address()
    u = make("viewer")
    for _ in range(3):  # three different accounts tried from one address
        with pytest.raises(Unauthorized):
            login(unique("guess"), "wrong password!!", where)
    with pytest.raises(TooManyRequests):
        login(u["login"], GOOD, where)
    assert login(u["login"], GOOD, address()).user["id"] == u["id"]  # elsewhere, the account is fine


# --- passwords and sessions ----------------------------------------------------------------------------------
def live(session_id):
    with transaction() as s:
        return users.resolve_session(s, session_id)


def test_changing_the_password_ends_every_session_of_the_account(towns):
    u = make("viewer")
    first, second = login(u["login"]), login(u["login"])
    with transaction() as s:
        with pytest.raises(InvalidInput) as info:
            users.change_password(s, first.caller, old_password="not it at all", new_password="Fresh-and-long-1")
        assert info.value.field == "old_password"
    with transaction() as s:
        with pytest.raises(InvalidInput) as info:
            users.change_password(s, first.caller, old_password=GOOD, new_password="123456")
        assert info.value.field == "password"
    assert live(first.session_id) and live(second.session_id)
    with transaction() as s:
        fresh = users.change_password(s, first.caller, old_password=GOOD, new_password="Fresh-and-long-1")
    assert live(first.session_id) is None and live(second.session_id) is None
    assert live(fresh).user_id == u["id"]
    with pytest.raises(Unauthorized):
        login(u["login"], GOOD)
    assert login(u["login"], "Fresh-and-long-1")


def test_reset_ends_sessions_and_leaves_only_the_change_to_do(towns):
    u = make("inspector")
    before = login(u["login"])
    with transaction() as s:
        users.reset_password(s, SYSTEM, u["login"], "Temporary-pass-9")
    assert live(before.session_id) is None
    after = login(u["login"], "Temporary-pass-9")
    assert after.must_change_password and not after.caller.permissions
    assert live(after.session_id).must_change_password
    with transaction() as s:
        users.change_password(s, after.caller, old_password="Temporary-pass-9", new_password="My-own-choice-42")
    done = login(u["login"], "My-own-choice-42")
    assert not done.must_change_password and done.caller.can("handle_problems")
    assert scalar("SELECT count(*) FROM audit_log WHERE entity = 'users' AND entity_id = :i "
                  "AND action IN ('reset_password', 'change_password')", i=str(u["id"])) == 2


def test_disabling_ends_sessions_and_logins(towns):
    u = make("viewer")
    on = login(u["login"])
    with transaction() as s:
        users.disable(s, SYSTEM, u["login"])
    assert live(on.session_id) is None
    with pytest.raises(Unauthorized):
        login(u["login"])
    with transaction() as s:
        users.enable(s, SYSTEM, u["login"])
    assert login(u["login"])


def test_nobody_disables_their_own_account(towns):
    admin = users.caller_for(make("admin"))
    with transaction() as s, pytest.raises(InvalidInput):
        users.disable(s, admin, admin.user_id)


def test_logout_ends_one_session(towns):
    u = make("viewer")
    a, b = login(u["login"]), login(u["login"])
    with transaction() as s:
        assert sessions.revoke(s, a.session_id)
    assert live(a.session_id) is None and live(b.session_id)


# --- CSRF ----------------------------------------------------------------------------------------------------
def test_csrf_token_belongs_to_its_session(towns):
    u = make("viewer")
    a, b = login(u["login"]), login(u["login"])
    assert sessions.check_csrf(a.session_id, a.csrf_token)
    assert a.csrf_token != b.csrf_token and a.session_id not in a.csrf_token
    for wrong in (None, "", b.csrf_token, a.csrf_token[:-1], a.csrf_token.upper(), "é" * 64, a.session_id):
        assert not sessions.check_csrf(a.session_id, wrong)
    assert not sessions.check_csrf(None, a.csrf_token)
    with pytest.raises(Forbidden) as info:
        sessions.require_csrf(a.session_id, b.csrf_token)
    assert info.value.status == 403
    sessions.require_csrf(a.session_id, a.csrf_token)


def test_a_session_has_one_owner(database):
    with transaction() as s, pytest.raises(ValueError):
        sessions.open_session(s, token_id=1, user_id=1, hours=1)
