"""What each role may do, checked here in the domain: a view that forgets a check still cannot
act, since every domain function that changes something takes the acting user and calls
`require`.
"""

from __future__ import annotations

from ...models import User

_AGENT = frozenset({"payment.cash", "agent.work", "dossier.hand_back"})
_MANAGER = frozenset(
    {
        "counter.work",
        "queue.configure",
        "printers.manage",
        "dossier.receive",
        "dossier.process",
        "dossier.read",
        "payment.cash",
        "accounts.manage",
        "payments.read",
        "dossier.hand_back",
        "reports.read",
        "sync.read",
    }
)  # fmt: skip

#: What each role may do. A role has its own rights and none of another's unless listed.
PERMISSIONS: dict[str, frozenset[str]] = {
    # payment.cash: record cash received for a dossier's fee; accounts.manage: the agencies'
    # bank accounts; payments.read: the reconciliation report.
    # agent.work: file for citizens and follow the dossiers of one's own branch, and no other.
    # dossier.hand_back: give a citizen the result and record who received it.
    # branch.supervise: one's own branch's reports, audit log, agents and cash hand-overs.
    "agent": _AGENT,
    "supervisor": _AGENT | {"branch.supervise"},
    # reports.read: the center's reports, service index and queue statistics, every unit.
    # sync.read: the province's sync, site by site (at the hub), the hours after which a
    # silent site is flagged, and a site's own backlog of events not yet sent.
    # branches.manage: banks' branches and their people; audit.read: the whole audit log.
    # dossier.receive: accept a dossier at a counter; dossier.process: move it through its
    # lifecycle (process, ask for a supplement, resolve, return the result); dossier.read:
    # see every dossier of the site, its papers and its applicant.
    "officer": frozenset(
        {"counter.work", "dossier.receive", "dossier.read", "payment.cash", "dossier.hand_back"}
    ),
    "processor": frozenset({"dossier.process", "dossier.read"}),
    "manager": _MANAGER,
    # The administrator: all a manager may do, and the accounts, branches and audit log.
    "admin": _MANAGER | {"users.manage", "branches.manage", "audit.read"},
}

#: A manager confined to one unit (`User.unit_code`: a department's or a commune's head) reads
#: that unit's reports and nothing else of the center: not its dossiers, counters, money or
#: set-up, which are the whole center's.
UNIT_MANAGER = frozenset({"reports.read"})

#: Roles that belong to a bank branch.
BRANCH_ROLES = frozenset({"agent", "supervisor"})


class IdentityError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the user."""


class Forbidden(PermissionError):
    """The acting user's role does not allow this."""


def granted(user: User) -> frozenset[str]:
    """What `user`'s role grants them (a manager of one unit: `UNIT_MANAGER`)."""
    if user.role == "manager" and user.unit_code:
        return UNIT_MANAGER
    return PERMISSIONS.get(user.role, frozenset())


def require(user: User | None, permission: str) -> User:
    """`user` if its role grants `permission`, else Forbidden (with a Vietnamese message)."""
    if user is None or not user.active:
        raise Forbidden("Vui lòng đăng nhập.")
    if permission not in granted(user):
        raise Forbidden("Tài khoản của bạn không có quyền thực hiện việc này.")
    return user


def can(user: User | None, permission: str) -> bool:
    return user is not None and user.active and permission in granted(user)
