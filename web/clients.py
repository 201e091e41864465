"""Who the client is: the socket's peer, or what a *trusted* proxy in front says it is.

``X-Forwarded-For`` (and ``-Proto``, ``-Host``) are plain request headers that any client can
send, so they are believed only when the request comes from a proxy the operator configured:
``TRUSTED_PROXIES`` (how many proxies stand in front, as werkzeug's ``ProxyFix`` counts them)
and ``TRUSTED_PROXY_NETWORKS`` (the addresses those proxies connect from; loopback by default,
the usual nginx on the same host). A request from any other peer keeps the peer's own address,
whatever headers it carries: the address the guard and the rate limits count cannot be forged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

RATE_LIMIT_IPV6_BITS = 64
"""IPv6 clients are counted per /64 (one customer's LAN): an attacker holds a whole /64."""


def parse_networks(values: Iterable[str] | str, setting: str) -> tuple[Network, ...]:
    """``values`` (addresses or CIDR networks, or one comma-separated string) as networks."""
    if isinstance(values, str):
        values = [value for value in values.split(",") if value.strip()]
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{setting}: {value!r} is not an IP address or network") from None
    return tuple(networks)


def is_trusted(peer: str | None, networks: tuple[Network, ...]) -> bool:
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


class TrustedProxyFix:
    """Applies ``ProxyFix`` to requests whose peer is a trusted proxy, and to no others."""

    def __init__(self, app: WSGIApplication, proxies: int, networks: tuple[Network, ...]) -> None:
        self._app = app
        self._networks = networks
        self._fixed = ProxyFix(app, x_for=proxies, x_proto=proxies, x_host=proxies)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if is_trusted(environ.get("REMOTE_ADDR"), self._networks):
            return self._fixed(environ, start_response)
        return self._app(environ, start_response)


def rate_limit_key(address: str) -> str:
    """The key a client's writes are counted under: its IPv4 address, or its IPv6 /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        network = ipaddress.ip_network(f"{parsed}/{RATE_LIMIT_IPV6_BITS}", strict=False)
        return str(network)
    return str(parsed)
