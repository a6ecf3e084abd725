"""Data residency: may a workload's data go to a given cloud region, and why (or why not).

A workload's :class:`~flatbed.scenario.DataRule` says *where* its data may be processed
(``on_site``, ``in_country``, ``anywhere``) and which *regime* requires it. The decision is made
against the site's country and the cloud region's country; the reason text cites the rule.

Regimes and what they say (research notes ``catalog_facts.md`` §9, sources R88–R93 there):

- **ITAR** (US, 22 CFR 120.54(a)(5), Federal Register 2019-27438, effective 2020-03-25): technical
  data may be stored abroad without an export only if end-to-end encrypted (FIPS 140-2 modules or
  >= AES-128) and not in a §126.1 country; otherwise foreign storage is an export.
- **CJIS** Security Policy 5.10.1.4: criminal-justice information in cloud storage must stay in
  APB-member countries (US and territories, Canada), regardless of encryption. Hard rule.
- **HIPAA** (HHS OCR cloud-computing FAQ): no federal localisation; a cloud provider may hold ePHI
  under a business associate agreement (BAA).
- **GDPR** Art. 44–49: processing inside the EEA needs no transfer mechanism; transfers outside
  need adequacy (Art. 45), safeguards such as SCCs (Art. 46) or a derogation (Art. 49).
- **PIPL** (China) Art. 38–40: export needs a CAC security assessment or another Art. 38
  mechanism; CIIOs and large processors must store personal information in China.
- **DPDP** (India, 2023) s.16: transfers allowed except to countries the government restricts.

The user's ``where`` is always honoured literally (a company policy may be stricter than the law).
Where ``where`` is ``anywhere``, CJIS's country list is still enforced (it is unconditional), and
the other regimes add the condition under which the cloud is lawful to the reason text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flatbed.scenario import DataRule

__all__ = [
    "CJIS_APB_COUNTRIES",
    "EEA_COUNTRIES",
    "CloudDecision",
    "cloud_allowed",
    "combine_decisions",
    "region_country",
    "regime_citation",
]

CJIS_APB_COUNTRIES = frozenset({"US", "CA", "PR", "GU", "VI", "AS", "MP"})
"""Countries/territories in the CJIS Advisory Policy Board (CJIS Security Policy 5.10.1.4)."""

EEA_COUNTRIES = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR",
    "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL",
    "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
})
"""EU-27 plus Iceland, Liechtenstein and Norway (EEA Agreement)."""

_CITATIONS: dict[str, str] = {
    "ITAR": "ITAR, 22 CFR 120.54",
    "CJIS": "CJIS Security Policy 5.10.1.4",
    "HIPAA": "HIPAA, HHS OCR cloud computing guidance",
    "GDPR": "GDPR Art. 44-49",
    "PIPL": "PIPL Art. 38-40",
    "DPDP": "India DPDP Act 2023 s.16",
    "EAR": "EAR, 15 CFR 734.18",
}


def regime_citation(regime: str) -> str:
    """The legal citation for a regime name (case-insensitive); the name itself if unknown."""
    key = regime.strip().upper()
    if key in ("", "NONE"):
        return "no regime named"
    return _CITATIONS.get(key, regime.strip())


@dataclass(frozen=True)
class CloudDecision:
    """Whether data may go to a cloud placement, with the reason citing the rule."""

    allowed: bool
    reason: str
    conditional: bool = False
    """Allowed only under a condition named in ``reason`` (BAA, SCCs, encryption, ...)."""


def cloud_allowed(
    workload_id: str,
    rule: DataRule,
    site_country: str,
    cloud_country: str | None,
) -> CloudDecision:
    """Decide whether workload ``workload_id``'s data may be processed in a cloud region.

    Parameters
    ----------
    workload_id
        Workload id, quoted in the reason.
    rule
        The workload's data rule (``where`` and ``regime``).
    site_country
        ISO 3166-1 alpha-2 of the site.
    cloud_country
        ISO 3166-1 alpha-2 of the cloud region; ``None`` when unknown.

    Returns
    -------
    CloudDecision, e.g. ``cloud forbidden: workload 'x' data must stay on site (ITAR, 22 CFR
    120.54)``.
    """
    site = site_country.upper()
    cloud = cloud_country.upper() if cloud_country else None
    regime = rule.regime.strip().upper()
    cite = regime_citation(rule.regime)
    wid = f"workload {workload_id!r}"

    if rule.where == "on_site":
        return CloudDecision(False, f"cloud forbidden: {wid} data must stay on site ({cite})")
    if rule.where == "in_country":
        if cloud is None:
            return CloudDecision(
                False,
                f"cloud forbidden: {wid} data must stay in {site} ({cite}) and the cloud "
                "region's country is unknown (the offer names no region)",
            )
        if cloud != site:
            return CloudDecision(
                False,
                f"cloud forbidden: {wid} data must stay in {site} ({cite}); the cloud region "
                f"is in {cloud}",
            )
        return CloudDecision(True, f"allowed: {wid} data stays in {site} ({cite})")

    # where == "anywhere": enforce unconditional regime limits, state the conditions of others.
    if regime == "CJIS":
        if cloud is None or cloud not in CJIS_APB_COUNTRIES:
            where = "an unknown country" if cloud is None else cloud
            return CloudDecision(
                False,
                f"cloud forbidden: {wid} criminal-justice data may only be stored in APB member "
                f"countries (US, Canada), not {where} ({cite})",
            )
        return CloudDecision(True, f"allowed: {wid} stays in an APB member country ({cite})")
    if regime == "ITAR" and cloud != "US":
        return CloudDecision(
            True,
            f"allowed only if {wid} data is end-to-end encrypted (FIPS 140-2, >= AES-128) "
            f"outside the US ({cite}(a)(5))",
            conditional=True,
        )
    if regime == "HIPAA":
        return CloudDecision(
            True,
            f"allowed under a business associate agreement with the provider for {wid} ({cite})",
            conditional=True,
        )
    if regime == "GDPR" and site in EEA_COUNTRIES and (cloud is None or cloud not in EEA_COUNTRIES):
        return CloudDecision(
            True,
            f"allowed with a Chapter V transfer mechanism (adequacy decision or SCCs) for {wid} "
            f"data leaving the EEA ({cite})",
            conditional=True,
        )
    if regime == "PIPL" and site == "CN" and cloud != "CN":
        return CloudDecision(
            True,
            f"allowed only after a CAC security assessment or other Art. 38 mechanism for {wid}; "
            f"CIIOs must store personal information in China ({cite})",
            conditional=True,
        )
    if regime in ("", "NONE"):
        return CloudDecision(True, f"allowed: {wid} data has no residency rule")
    return CloudDecision(True, f"allowed: {wid} data may be processed anywhere ({cite})")


def combine_decisions(decisions: Iterable[CloudDecision]) -> CloudDecision:
    """One decision for an option that moves several workloads: forbidden if any is forbidden.

    The reason joins the forbidding reasons (or, when all are allowed, the conditions).
    """
    ds = list(decisions)
    if not ds:
        return CloudDecision(True, "allowed: no workload moves to the cloud")
    bad = [d.reason for d in ds if not d.allowed]
    if bad:
        return CloudDecision(False, "; ".join(bad))
    cond = [d.reason for d in ds if d.conditional]
    if cond:
        return CloudDecision(True, "; ".join(cond), conditional=True)
    return CloudDecision(True, "; ".join(d.reason for d in ds))


# Cloud region code → country. Exact codes first, then prefixes. Region names from the
# providers' public region lists (AWS "Regions and Zones", Google Cloud "Regions and zones",
# Azure "Azure geographies"), accessed 2026-11.
_REGION_EXACT: dict[str, str] = {
    "eu-central-1": "DE", "eu-central-2": "CH", "eu-west-1": "IE", "eu-west-2": "GB",
    "eu-west-3": "FR", "eu-north-1": "SE", "eu-south-1": "IT", "eu-south-2": "ES",
    "ap-northeast-1": "JP", "ap-northeast-2": "KR", "ap-northeast-3": "JP", "ap-southeast-1": "SG",
    "ap-southeast-2": "AU", "ap-southeast-3": "ID", "ap-south-1": "IN", "ap-south-2": "IN",
    "ap-east-1": "HK", "sa-east-1": "BR", "me-south-1": "BH", "me-central-1": "AE",
    "il-central-1": "IL", "af-south-1": "ZA", "ca-central-1": "CA", "ca-west-1": "CA",
    "europe-west1": "BE", "europe-west2": "GB", "europe-west3": "DE", "europe-west4": "NL",
    "europe-west6": "CH", "europe-west9": "FR", "europe-north1": "FI", "asia-east1": "TW",
    "asia-northeast1": "JP", "asia-southeast1": "SG", "asia-south1": "IN",
    "australia-southeast1": "AU", "southamerica-east1": "BR",
    "westeurope": "NL", "northeurope": "IE", "uksouth": "GB", "ukwest": "GB",
    "germanywestcentral": "DE", "francecentral": "FR", "swedencentral": "SE",
    "norwayeast": "NO", "switzerlandnorth": "CH", "japaneast": "JP", "australiaeast": "AU",
    "canadacentral": "CA", "canadaeast": "CA", "centralindia": "IN", "southeastasia": "SG",
}
_REGION_PREFIX: tuple[tuple[str, str], ...] = (
    ("us-gov", "US"), ("us", "US"), ("eastus", "US"), ("westus", "US"), ("centralus", "US"),
    ("northcentralus", "US"), ("southcentralus", "US"), ("northamerica", "CA"),
    ("cn-", "CN"), ("china", "CN"),
)


def region_country(region: str) -> str | None:
    """Country (ISO alpha-2) of a cloud region code, a two-letter country code, or ``None``.

    Accepts provider region codes (``us-east-1``, ``europe-west4``, ``westeurope``) or an explicit
    country (``US``, ``de``). Unknown codes return ``None``.
    """
    r = region.strip()
    if len(r) == 2 and r.isalpha():
        return r.upper()
    low = r.lower()
    if low in _REGION_EXACT:
        return _REGION_EXACT[low]
    for prefix, cc in _REGION_PREFIX:
        if low.startswith(prefix):
            return cc
    return None
