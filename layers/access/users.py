"""User accounts: who may create, reset and disable which account, logging in, and an account's Caller.

Admins (the role that may manage tokens) manage accounts of every role, staff (roles that may manage people) only
of a role below their own; both only inside their own region when they have one (an account outside it reads as
missing, as people and units do). Logging in is throttled per address and per login name (429 before the password
is looked at while blocked); an unknown login, a wrong password and a disabled account get the same answer after
the same work.
Changing or resetting a password and disabling an account end every session of the account.

An account acts as `user:<id> (<display name>)`: audit rows and problem events written with that actor name the
account and its person in `actor_user_id` / `actor_person_id` (migration 0017).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from gis.settings import get_settings
from layers.access import passwords, roles, sessions, throttle, tokens
from layers.access.caller import Caller
from layers.common.audit import record

# A phone number or a chosen name: letters (any script), digits and . _ - @ +, after NFKC and case folding.
LOGIN = re.compile(r"^[\w.@+-]{2,64}$")
WRONG = "wrong login or password"
_COLUMNS = ("id, login, display_name, role, region_code, person_id, active, must_change_password, created_at, "
            "created_by, last_login_at, password_changed_at, disabled_at")
# An account as the API shows it: its columns and the name of its linked person.
_SELECT = ("SELECT " + ", ".join(f"u.{c.strip()}" for c in _COLUMNS.split(",")) + ", p.name AS person_name "
           "FROM users u LEFT JOIN people p ON p.id = u.person_id")


def normalise_login(login: str) -> str:
    """The stored form of a login: NFKC (全角 digits become ASCII), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", login or "").strip().casefold()


def _valid_login(login: str) -> str:
    name = normalise_login(login)
    if not LOGIN.match(name):
        raise InvalidInput("a login is 2 to 64 letters, digits or . _ - @ + (a phone number or a chosen name)",
                           field="login")
    return name


def _display_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidInput("a display name is 1 to 100 printable characters", field="display_name")
    return name


def actor_of(user_id: int, display_name: str) -> str:
    return f"user:{user_id} ({display_name})"


def caller_for(user: dict[str, Any]) -> Caller:
    """The services' view of a logged-in account. Until a reset password is changed, the account may do nothing
    but change it (no permissions)."""
    perms = frozenset() if user.get("must_change_password") else roles.permissions(user["role"])
    return Caller(actor=actor_of(user["id"], user["display_name"]), scope=user["region_code"], permissions=perms,
                  role=user["role"], user_id=user["id"])


# --- who may manage which account -----------------------------------------------------------------------------
def _is_admin(caller: Caller) -> bool:
    return caller.can("manage_tokens")  # accounts and machine tokens are the admins'


def _manager(caller: Caller) -> bool:
    return _is_admin(caller) or caller.can("manage_people")


def _may_assign(caller: Caller, role: str, region_code: str | None) -> None:
    """May the caller give an account this role in this region (creating it, or acting on one that has them)?
    Admins any role, staff a role below their own; both only inside their own region when they have one."""
    if not _manager(caller):
        raise Forbidden(f"role {caller.role or 'anonymous'} may not manage accounts")
    if not _is_admin(caller) and roles.RANK.get(role, 0) >= roles.RANK.get(caller.role, 0):
        raise Forbidden(f"role {caller.role} manages only accounts of a lower role than its own, not {role}",
                        field="role")
    if caller.scope is not None:
        if not region_code:
            raise Forbidden(f"an account you manage needs a region inside yours ({caller.scope})", field="region_code")
        caller.require_covers(region_code, what=f"region {region_code}", field="region_code")


def assignable_roles(caller: Caller) -> list[str]:
    """The roles the caller may give an account (the order of roles.PERMISSIONS): all for an admin, those below
    their own for staff, none for others."""
    if not _manager(caller):
        return []
    if _is_admin(caller):
        return list(roles.PERMISSIONS)
    own = roles.RANK.get(caller.role, 0)
    return [r for r in roles.PERMISSIONS if roles.RANK[r] < own]


def may_manage(caller: Caller, account: dict[str, Any]) -> bool:
    """May the caller reset, disable, enable or change this account (one it can see)?"""
    try:
        _may_assign(caller, account["role"], account["region_code"])
    except (Forbidden, InvalidInput):
        return False
    return caller.covers(account["region_code"])


def _row(s: Session | Connection, login_or_id: str | int) -> dict[str, Any] | None:
    if isinstance(login_or_id, int):
        sql, key = f"{_SELECT} WHERE u.id = :k", login_or_id
    else:
        sql, key = f"{_SELECT} WHERE u.login = :k", normalise_login(login_or_id)
    row = s.execute(text(sql), {"k": key}).mappings().one_or_none()
    return dict(row) if row else None


def _visible(s: Session | Connection, caller: Caller, login_or_id: str | int) -> dict[str, Any]:
    """An account the caller may see: managers see those of their region; anyone sees their own."""
    row = _row(s, login_or_id)
    if row is not None and (row["id"] == caller.user_id or (_manager(caller) and caller.covers(row["region_code"]))):
        return row
    raise NotFound(f"account {login_or_id} not found", field="login")


def _managed(s: Session | Connection, caller: Caller, login_or_id: str | int) -> dict[str, Any]:
    """An account the caller may reset or disable: visible, and of a role they may assign."""
    row = _row(s, login_or_id)
    if row is None or not (_manager(caller) and caller.covers(row["region_code"])):
        raise NotFound(f"account {login_or_id} not found", field="login")
    _may_assign(caller, row["role"], row["region_code"])
    return row


def _check_person(s: Session, caller: Caller, person_id: int, region_code: str | None,
                  except_user: int | None = None) -> None:
    """A person an account may be linked to: one the caller sees, inside the account's region (a 街道's account
    is someone of that 街道), and not yet linked to another account."""
    person = s.execute(text("SELECT region_code FROM people WHERE id = :i"), {"i": person_id}).one_or_none()
    if person is None or not caller.covers(person.region_code):
        raise InvalidInput(f"person {person_id} not found", field="person_id")
    if region_code and not (person.region_code or "").startswith(region_code):
        raise InvalidInput(f"person {person_id} lies outside the account's region {region_code}", field="person_id")
    if s.execute(text("SELECT 1 FROM users WHERE person_id = :i AND id IS DISTINCT FROM :u"),
                 {"i": person_id, "u": except_user}).scalar():
        raise Conflict(f"person {person_id} already has an account", field="person_id")


def _role(role: str) -> str:
    if role not in roles.PERMISSIONS:
        raise InvalidInput(f"unknown role {role!r}; roles are {', '.join(roles.PERMISSIONS)}", field="role")
    return role


# --- accounts ------------------------------------------------------------------------------------------------
def create(
    s: Session,
    caller: Caller,
    *,
    login: str,
    display_name: str,
    role: str,
    password: str,
    region_code: str | None = None,
    person_id: int | None = None,
    must_change_password: bool = True,
) -> dict[str, Any]:
    """A new account; returns it (without its hash). By default its holder must change the password at first
    login (pass False when people set their own, e.g. the CLI creating the first admin)."""
    name = _valid_login(login)
    display = _display_name(display_name)
    _role(role)
    region_code = (region_code or "").strip() or None
    if role in roles.SCOPED_ROLES and not region_code:
        raise InvalidInput(f"role {role} needs a region", field="region_code")
    _may_assign(caller, role, region_code)
    if region_code and not tokens.region_exists(s, region_code):
        raise InvalidInput(f"region {region_code} not found", field="region_code")
    if person_id is not None:
        _check_person(s, caller, person_id, region_code)
    passwords.check_policy(password, login=name)
    uid = s.execute(text("""
        INSERT INTO users (login, display_name, password_hash, role, region_code, person_id, must_change_password,
                           created_by)
        VALUES (:login, :name, :hash, :role, :region, :person, :must, :by)
        ON CONFLICT DO NOTHING RETURNING id"""),
        {"login": name, "name": display, "hash": passwords.hash_password(password), "role": role,
         "region": region_code, "person": person_id, "must": must_change_password, "by": caller.actor}).scalar()
    if uid is None:  # the login (or the person) was taken meanwhile, or before
        holder = s.execute(text("SELECT region_code FROM users WHERE login = :l"), {"l": name}).one_or_none()
        if holder is None:
            raise Conflict(f"person {person_id} already has an account", field="person_id")
        if caller.covers(holder.region_code):
            raise Conflict(f"the login {name} is taken", field="login")
        raise InvalidInput("this login cannot be used", field="login")  # no oracle of logins in other regions
    record(s, caller.actor, "create", "users", uid,
           {"login": name, "role": role, "region_code": region_code, "person_id": person_id})
    return _row(s, uid)


def get(s: Session | Connection, caller: Caller, login_or_id: str | int) -> dict[str, Any]:
    """One account (not its hash): the caller's own, or one in the region of an admin or staff caller."""
    return _visible(s, caller, login_or_id)


def me(s: Session | Connection, caller: Caller) -> dict[str, Any]:
    """The logged-in account (for GET /api/v1/me)."""
    if caller.user_id is None:
        raise NotFound("this caller is not an account", field="login")
    return _visible(s, caller, caller.user_id)


def list_users(s: Session | Connection, caller: Caller, *, active: bool | None = None, q: str | None = None,
               role: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """Accounts of the caller's region (all of them for an admin or a city-wide caller), by login; narrowed to
    those active (or not), of one role, inside a region, or whose login, display name or person contains q."""
    if not _manager(caller):
        raise Forbidden(f"role {caller.role or 'anonymous'} may not manage accounts")
    if region:
        caller.require_covers(region, what=f"region {region}", field="region")
    pattern = None
    if q and q.strip():
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = s.execute(text(f"""
        {_SELECT}
        WHERE (CAST(:scope AS text) IS NULL OR u.region_code LIKE :scope || '%')
          AND (CAST(:region AS text) IS NULL OR u.region_code LIKE :region || '%')
          AND (CAST(:active AS boolean) IS NULL OR u.active = :active)
          AND (CAST(:role AS text) IS NULL OR u.role = :role)
          AND (CAST(:q AS text) IS NULL OR u.login ILIKE :q OR u.display_name ILIKE :q OR p.name ILIKE :q)
        ORDER BY u.login"""), {"scope": caller.scope, "region": region or None, "active": active, "role": role,
                               "q": pattern}).mappings()
    return [dict(r) for r in rows]


CHANGEABLE = ("display_name", "role", "region_code", "person_id")


def update(s: Session, caller: Caller, login: str | int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change an account's display name, role, region or linked person (None unlinks), by the rules of creating
    one: the caller must manage the account as it is and may give it only a role and region they could create it
    with. Nobody changes their own role or region (an admin could lock the city out). Its sessions stay open and
    act with the new role and region from their next request."""
    row = _managed(s, caller, login)
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidInput(f"cannot be changed; changeable: {', '.join(CHANGEABLE)}", field=unknown[0])
    if not changes:
        raise InvalidInput(f"nothing to change; changeable: {', '.join(CHANGEABLE)}")
    new = {k: changes.get(k, row[k]) for k in CHANGEABLE}
    new["display_name"] = _display_name(new["display_name"])
    new["region_code"] = (new["region_code"] or "").strip() or None
    _role(new["role"])
    moved = new["role"] != row["role"] or new["region_code"] != row["region_code"]
    if moved and row["id"] == caller.user_id:
        raise InvalidInput("you cannot change your own role or region", field="role")
    if new["role"] in roles.SCOPED_ROLES and not new["region_code"]:
        raise InvalidInput(f"role {new['role']} needs a region", field="region_code")
    if moved:
        _may_assign(caller, new["role"], new["region_code"])
        if new["region_code"] and not tokens.region_exists(s, new["region_code"]):
            raise InvalidInput(f"region {new['region_code']} not found", field="region_code")
    if new["person_id"] is not None and (moved or "person_id" in changes):
        _check_person(s, caller, new["person_id"], new["region_code"], except_user=row["id"])
    s.execute(text("UPDATE users SET display_name = :display_name, role = :role, region_code = :region_code, "
                   "person_id = :person_id WHERE id = :id"), {**new, "id": row["id"]})
    before = {k: row[k] for k in CHANGEABLE if row[k] != new[k]}
    record(s, caller.actor, "update", "users", row["id"],
           {"login": row["login"], "before": before, "after": {k: new[k] for k in before}})
    return _row(s, row["id"])


def _set_password(s: Session, user_id: int, password: str, *, must_change: bool) -> None:
    s.execute(text("UPDATE users SET password_hash = :h, must_change_password = :m, password_changed_at = now() "
                   "WHERE id = :i"), {"h": passwords.hash_password(password), "m": must_change, "i": user_id})
    sessions.revoke_user(s, user_id)


def reset_password(s: Session, caller: Caller, login: str | int, new_password: str, *,
                   must_change: bool = True) -> None:
    """Set another account's password (its holder must change it at next login unless must_change is False, e.g.
    the operator's CLI); every session of the account ends and its failed-login count is forgiven."""
    row = _managed(s, caller, login)
    passwords.check_policy(new_password, login=row["login"])
    _set_password(s, row["id"], new_password, must_change=must_change)
    throttle.clear([f"account:{row['login']}"])
    record(s, caller.actor, "reset_password", "users", row["id"], {"login": row["login"],
                                                                    "must_change_password": must_change})


def change_password(s: Session, caller: Caller, *, old_password: str, new_password: str,
                    address: str | None = None) -> str:
    """The logged-in account changes its own password, proving it knows the current one (a wrong one counts as a
    failed login). Every session of the account ends; returns the id of a new session for this browser."""
    if caller.user_id is None:
        raise Forbidden("only an account logged in with a password can change its password")
    row = _row(s, caller.user_id)
    if row is None or not row["active"]:
        raise Unauthorized("session expired or logged out: log in again at /login")
    limits = _limits(row["login"], address)
    _check_not_blocked(limits)
    stored = s.execute(text("SELECT password_hash FROM users WHERE id = :i"), {"i": row["id"]}).scalar_one()
    ok, _ = passwords.verify(stored, old_password or "")
    if not ok:
        _fail(limits, InvalidInput("the current password is wrong", field="old_password"))
    if passwords.normalise(new_password or "") == passwords.normalise(old_password):
        raise InvalidInput("the new password must differ from the current one", field="password")
    passwords.check_policy(new_password, login=row["login"])
    _set_password(s, row["id"], new_password, must_change=False)
    record(s, caller.actor, "change_password", "users", row["id"], {"login": row["login"]})
    return sessions.open_session(s, user_id=row["id"], hours=get_settings().session_hours)


def _set_active(s: Session, caller: Caller, login: str | int, active: bool) -> None:
    row = _managed(s, caller, login)
    if not active and row["id"] == caller.user_id:
        raise InvalidInput("you cannot disable your own account", field="login")
    s.execute(text("UPDATE users SET active = :a, disabled_at = CASE WHEN :a THEN NULL ELSE now() END "
                   "WHERE id = :i"), {"a": active, "i": row["id"]})
    if not active:
        sessions.revoke_user(s, row["id"])
    record(s, caller.actor, "enable" if active else "disable", "users", row["id"], {"login": row["login"]})


def disable(s: Session, caller: Caller, login: str | int) -> None:
    """The account can no longer log in, and every session of it ends now."""
    _set_active(s, caller, login, False)


def enable(s: Session, caller: Caller, login: str | int) -> None:
    _set_active(s, caller, login, True)


# --- logging in ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Login:
    """A successful login: the cookie's session id, its CSRF token, the account (no hash) and its Caller."""

    session_id: str
    csrf_token: str
    user: dict[str, Any]
    caller: Caller

    @property
    def must_change_password(self) -> bool:
        return bool(self.user["must_change_password"])


def _limits(login_key: str, address: str | None) -> dict[str, int]:
    settings = get_settings()
    limits = {f"account:{login_key}": settings.auth_failures_per_account}
    if address:
        limits[f"ip:{address}"] = settings.auth_failures_per_ip
    return limits


def _check_not_blocked(limits: dict[str, int]) -> None:
    wait = throttle.retry_after(limits, get_settings().auth_failure_window_s)
    if wait is not None:
        raise TooManyRequests(f"too many failed attempts; try again in {wait} s", retry_after=wait)


def _fail(limits: dict[str, int], error: Exception) -> NoReturn:
    """Count a failure against every key; past a limit the answer is 429, else `error`."""
    wait = throttle.record_failure(limits, get_settings().auth_failure_window_s)
    if wait is not None:
        raise TooManyRequests(f"too many failed attempts; try again in {wait} s", retry_after=wait)
    raise error


def authenticate(s: Session, login: str, password: str, address: str | None) -> Login:
    """Check a login and password (the login form); open a session on success.

    429 (TooManyRequests, with retry_after) while the address or the login is blocked, before anything is checked;
    401 (Unauthorized, the same message) for an unknown login, a wrong password and a disabled account."""
    key = normalise_login(login)[:64]
    limits = _limits(key, address)
    _check_not_blocked(limits)
    row = s.execute(text(f"SELECT {_COLUMNS}, password_hash FROM users WHERE login = :l"), {"l": key})
    row = row.mappings().one_or_none()
    if row is None:
        passwords.burn_time(password or "")
        _fail(limits, Unauthorized(WRONG))
    ok, new_hash = passwords.verify(row["password_hash"], password or "")
    if not ok or not row["active"]:
        _fail(limits, Unauthorized(WRONG))
    throttle.clear([f"account:{key}"])  # never the address's count: an attacker may own an account too
    s.execute(text("UPDATE users SET last_login_at = now(), password_hash = coalesce(:h, password_hash) "
                   "WHERE id = :i"), {"h": new_hash, "i": row["id"]})
    user = {k: v for k, v in row.items() if k != "password_hash"}
    session_id = sessions.open_session(s, user_id=user["id"], hours=get_settings().session_hours)
    return Login(session_id=session_id, csrf_token=sessions.csrf_token(session_id), user=user,
                 caller=caller_for(user))


@dataclass(frozen=True)
class AccountSession:
    """A live session of an account, as the API needs it on each request."""

    user_id: int
    login: str
    display_name: str
    role: str
    region_code: str | None
    person_id: int | None
    must_change_password: bool
    caller: Caller


def account_session(row: dict[str, Any]) -> AccountSession:
    """An account's live session from a row of `sessions.resolve` whose user_id is set."""
    user = {"id": row["user_id"], "display_name": row["display_name"], "role": row["role"],
            "region_code": row["region_code"], "must_change_password": row["must_change_password"]}
    return AccountSession(user_id=row["user_id"], login=row["login"], display_name=row["display_name"],
                          role=row["role"], region_code=row["region_code"], person_id=row["person_id"],
                          must_change_password=row["must_change_password"], caller=caller_for(user))


def resolve_session(s: Session | Connection, session_id: str) -> AccountSession | None:
    """The account behind a live session cookie, or None (unknown, ended, idle, expired, disabled account, or a
    session opened with a token, which the API resolves as before)."""
    row = sessions.resolve(s, session_id, idle_s=get_settings().session_idle_minutes * 60)
    if row is None or row["user_id"] is None:
        return None
    return account_session(row)


def profile(s: Session | Connection, caller: Caller) -> dict[str, Any]:
    """The logged-in account with its person (id and name, or None), for GET /api/v1/me."""
    row = me(s, caller)
    person = None
    if row["person_id"] is not None:
        found = s.execute(text("SELECT id, name FROM people WHERE id = :i"), {"i": row["person_id"]}).one_or_none()
        person = {"id": found.id, "name": found.name} if found else None
    return {**row, "person": person}


def logout(s: Session | Connection, session_id: str) -> int:
    """Log out: an account's session ends every session of the account (other browsers and devices too), a token's
    session ends alone. How many sessions ended (0 for an unknown or already ended one)."""
    row = sessions.resolve(s, session_id, idle_s=get_settings().session_idle_minutes * 60)
    if row is not None and row["user_id"] is not None:
        return sessions.revoke_user(s, row["user_id"])
    return int(sessions.revoke(s, session_id))
