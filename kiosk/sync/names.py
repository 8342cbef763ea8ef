"""Names the hub and the sites agree on: one place, so that the servers' configuration, the
relay and the ingest never spell a subject two ways.

A site's events flow like this (subjects):

    relay -> kiosk.events.<domain>.<kind>          the site's stream EVENTS (domain <domain>)
    site  -> kiosk.deliver.<domain>                its durable consumer `hub` pushes them over
                                                   the leaf connection, the only subject (with
                                                   the replies of $JSC.R.>) a site may publish
    hub   -> province.<domain>.kiosk.events.<domain>.<kind>
                                                   the hub's stream PROVINCE sources every site,
                                                   prefixing what it takes from a site with
                                                   that site's domain, which the site cannot
                                                   forge (the ingest checks both agree)
"""

from __future__ import annotations

import re

#: The site's stream of its own events, and the hub's stream that sources every site's.
SITE_STREAM = "EVENTS"
HUB_STREAM = "PROVINCE"
#: The durable consumer on a site's stream that the hub sources through (pre-created by the
#: site's server: a hub resumes through it in about a second after a long outage, where the
#: default ephemeral consumer waited minutes).
SOURCE_CONSUMER = "hub"
#: The hub's durable consumer that the ingest reads PROVINCE with.
INGEST_CONSUMER = "ingest"
HUB_DOMAIN = "hub"
#: The hub's server name (alone), or its cluster's name (three nodes).
HUB_SERVER = "kiosk-hub"
#: The user the nodes of a clustered hub sign in to each other's route port as.
ROUTE_USER = "route"
#: The hub's account, which its own clients and every site's leaf connection are bound to.
ACCOUNT = "PROVINCE"
#: The replies a site may send the hub's own clients (their inbox prefix), besides those of
#: JetStream's own requests (`$JSC.R.>`): a site may not publish into any other inbox.
HUB_REPLIES = "kiosk.reply"
#: The user the hub's own clients (the ingest, the status page) sign in as.
LOCAL_USER = "province"

_DOMAIN = re.compile(r"[A-Za-z0-9_-]{1,40}")


class NameRefused(ValueError):
    """A site code that cannot name a JetStream domain."""


def domain_of(site_code: str) -> str:
    """The JetStream domain of a site: its code (Circular 01/2018, e.g. `000.00.01.H29`) with
    the dots as dashes, since the server refuses dots in a domain (`000-00-01-H29`)."""
    domain = site_code.strip().replace(".", "-")
    if not _DOMAIN.fullmatch(domain) or domain == HUB_DOMAIN:
        raise NameRefused(
            f"Mã đơn vị “{site_code}” không dùng được làm tên miền JetStream: chỉ chữ, số, "
            "dấu chấm, gạch ngang, gạch dưới, tối đa 40 ký tự."
        )
    return domain


def event_subject(domain: str, kind: str) -> str:
    return f"kiosk.events.{domain}.{kind}"


def deliver_subject(domain: str) -> str:
    return f"kiosk.deliver.{domain}"


def site_user(domain: str) -> str:
    return f"site-{domain}"


def hub_prefix(domain: str) -> str:
    return f"province.{domain}"


def parse_hub_subject(subject: str) -> tuple[str, str] | None:
    """(site domain, kind) of a message in the hub's stream, or None when the domain the hub
    stamped and the one inside the site's own subject disagree (a forged record)."""
    parts = subject.split(".")
    if len(parts) < 6 or parts[0] != "province" or parts[2:4] != ["kiosk", "events"]:
        return None
    if parts[1] != parts[4]:
        return None
    return parts[1], ".".join(parts[5:])
