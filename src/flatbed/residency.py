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
- **DPDP** (India, 2023) s.16: transfers allowed except to countries the government restricts
  (none notified as of 2026-11).
- **EAR** (US, 15 CFR 734.18(a)(5), 81 FR 35586, effective 2016-09-01): storing technology abroad
  is not an export if end-to-end encrypted (FIPS 140-2 or equally effective) and not in a Country
  Group D:5 country or Russia.
- **UK GDPR** Art. 44–49 (Data Protection Act 2018 Sch. 21 para 5: EEA states count as adequate):
  transfers outside the UK and EEA need UK adequacy regulations, an IDTA/Addendum or an exception.
- **RBI** (India, circular DPSS.CO.OD No.2785/06.08.005/2017-18 of 6 Apr 2018, FAQ of 26 Jun 2019):
  payment-system data is stored only in India; processing abroad is allowed if the data is deleted
  there and brought back within one business day / 24 hours.
- **PDPL** (Saudi Arabia) Art. 29 and the Regulation on Personal Data Transfer outside the Kingdom
  (in force 14 Sep 2024): transfers need a permitted purpose and adequacy or safeguards.

Re-checked against these sources 2026-11-26 (session 3); the GDPR adequacy list is the
Commission's decisions to January 2026 (Brazil the latest).

The user's ``where`` is always honoured literally (a company policy may be stricter than the law);
the reason then says it is the data rule, naming the regime as context. CJIS's country list is
enforced whatever ``where`` says (it is unconditional). Where ``where`` is ``anywhere`` the
export-control carve-outs (ITAR, EAR) forbid proscribed countries and unknown regions, and the other
regimes add the condition under which the cloud is lawful to the reason text. A regime flatbed does
not model is allowed only on the condition that its own transfer rule is checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flatbed.scenario import DataRule

__all__ = [
    "CJIS_APB_COUNTRIES",
    "EEA_COUNTRIES",
    "EXPORT_PROSCRIBED_COUNTRIES",
    "GDPR_ADEQUATE",
    "CloudDecision",
    "cloud_allowed",
    "combine_decisions",
    "region_country",
    "regime_citation",
]

CJIS_APB_COUNTRIES = frozenset({"US", "CA", "PR", "GU", "VI", "AS", "MP"})
"""Countries/territories in the CJIS Advisory Policy Board (CJIS Security Policy 5.10.1.4)."""

EXPORT_PROSCRIBED_COUNTRIES = frozenset({"BY", "MM", "CN", "CU", "IR", "KP", "SY", "VE", "RU"})
"""Countries where the ITAR and EAR encrypted-storage carve-outs do not apply [ISO alpha-2]:
the 22 CFR 126.1(d)(1) policy-of-denial countries (Belarus, Burma, China, Cuba, Iran, North Korea,
Syria, Venezuela) and the Russian Federation, which 120.54(a)(5)(iv) and 15 CFR 734.18(a)(5)(iv)
name. A subset: §126.1(d)(2) and EAR Country Group D:5 list more countries (none with a major
cloud region as of 2026-11)."""

GDPR_ADEQUATE = frozenset({"AD", "AR", "BR", "FO", "GG", "IL", "IM", "JP", "JE", "KR", "NZ", "CH",
                           "GB", "UY"})
"""Countries with a full European Commission adequacy decision (GDPR Art. 45) as of January 2026
(Brazil adopted 2026-01-26; the UK decision renewed to 2031). Canada (commercial organisations
only) and the US (Data Privacy Framework certified companies only) are partial and stay
conditional."""

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
    "UK GDPR": "UK GDPR Art. 44-49",
    "RBI": "RBI DPSS.CO.OD No.2785/06.08.005/2017-18",
    "PDPL": "Saudi PDPL Art. 29",
}


_LEAVING_HOME: dict[str, tuple[str, str]] = {
    "PIPL": ("CN", "only after a CAC security assessment or other Art. 38 mechanism (CIIOs must "
             "store personal information in China)"),
    "RBI": ("IN", "only for processing, not storage: payment data must be deleted abroad and "
            "brought back within one business day / 24 h (circular of 6 Apr 2018; RBI FAQ of "
            "26 Jun 2019)"),
    "PDPL": ("SA", "for a permitted purpose with adequacy or appropriate safeguards and minimum "
             "data (Transfer Regulation in force 14 Sep 2024)"),
}
"""Regimes that let data leave their home country on a condition: home country, condition."""


def regime_citation(regime: str) -> str:
    """The legal citation for a regime name (case-insensitive); the name itself if unknown."""
    key = _regime_key(regime)
    if key in ("", "NONE"):
        return "no regime named"
    return _CITATIONS.get(key, regime.strip())


def _regime_key(regime: str) -> str:
    """Upper case, single spaces: ``"uk  gdpr"`` → ``"UK GDPR"``."""
    return " ".join(regime.upper().split())


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
    CloudDecision, e.g. ``cloud forbidden: workload 'x' data must stay on site (the scenario's
    data rule; regime ITAR, 22 CFR 120.54)``.
    """
    site = site_country.upper()
    cloud = cloud_country.upper() if cloud_country else None
    regime = _regime_key(rule.regime)
    cite = regime_citation(rule.regime)
    wid = f"workload {workload_id!r}"
    where_text = "an unknown country (the offer names no region)" if cloud is None else cloud

    # CJIS's country list binds whatever the data rule says
    if regime == "CJIS" and (cloud is None or cloud not in CJIS_APB_COUNTRIES):
        return CloudDecision(
            False,
            f"cloud forbidden: {wid} criminal-justice data may only be stored in APB member "
            f"countries (US, Canada), not {where_text} ({cite})",
        )
    # the scenario's own rule: honoured literally, the regime named as context
    policy = "the scenario's data rule" + (f"; regime {cite}" if regime not in ("", "NONE")
                                          else "")
    if rule.where == "on_site":
        return CloudDecision(False, f"cloud forbidden: {wid} data must stay on site ({policy})")
    if rule.where == "in_country":
        if cloud != site:
            return CloudDecision(
                False, f"cloud forbidden: {wid} data must stay in {site} ({policy}); the cloud "
                f"region is in {where_text}")
        return CloudDecision(True, f"allowed: {wid} data stays in {site} ({policy})")
    return _anywhere(wid, regime, cite, site, cloud, where_text)


def _anywhere(wid: str, regime: str, cite: str, site: str, cloud: str | None,
              where_text: str) -> CloudDecision:
    """The law's own limits and conditions when the data rule allows anywhere."""
    if regime in ("", "NONE"):
        return CloudDecision(True, f"allowed: {wid} data has no residency rule")
    if regime == "CJIS":  # the country check above passed
        return CloudDecision(True, f"allowed: {wid} stays in an APB member country ({cite})")
    if regime in ("ITAR", "EAR"):
        carve_out = f"{cite}(a)(5)"
        if cloud is None or cloud in EXPORT_PROSCRIBED_COUNTRIES:
            return CloudDecision(
                False,
                f"cloud forbidden: {wid} export-controlled data may not be stored in "
                f"{where_text}: the encrypted-storage carve-out excludes "
                f"{'22 CFR 126.1' if regime == 'ITAR' else 'Country Group D:5'} countries and "
                f"Russia, and an unknown region cannot be shown clear of them ({carve_out})")
        if cloud == "US":
            release = "22 CFR 120.50(a)(2)" if regime == "ITAR" else "15 CFR 734.13(b)"
            return CloudDecision(
                True,
                f"allowed only with access limited to U.S. persons or the data end-to-end "
                f"encrypted: a release to a foreign person is a deemed export ({release}; "
                f"{carve_out}) for {wid}",
                conditional=True)
        return CloudDecision(
            True,
            f"allowed only if {wid} data is end-to-end encrypted (FIPS 140-2, >= AES-128) "
            f"outside the US ({carve_out})",
            conditional=True,
        )
    if regime == "HIPAA":
        return CloudDecision(
            True,
            f"allowed under a business associate agreement with the provider for {wid} ({cite})",
            conditional=True,
        )
    if regime == "GDPR":
        if cloud is not None and cloud in EEA_COUNTRIES:
            return CloudDecision(True, f"allowed: {wid} data stays in the EEA ({cite})")
        if cloud is not None and cloud in GDPR_ADEQUATE:
            return CloudDecision(True, f"allowed: {cloud} has an adequacy decision for {wid} "
                                       f"data (GDPR Art. 45)")
        return CloudDecision(
            True,
            f"allowed with a Chapter V transfer mechanism (adequacy decision, DPF certification "
            f"or SCCs) for {wid} data leaving the EEA ({cite})",
            conditional=True,
        )
    if regime == "UK GDPR":
        if cloud is not None and (cloud == "GB" or cloud in EEA_COUNTRIES):
            return CloudDecision(True, f"allowed: {wid} data stays in the UK or EEA, which UK "
                                       f"law treats as adequate ({cite}; DPA 2018 Sch. 21)")
        return CloudDecision(
            True,
            f"allowed with UK adequacy regulations, an IDTA or the Addendum to the EU SCCs for "
            f"{wid} data leaving the UK ({cite})",
            conditional=True,
        )
    leaving = _LEAVING_HOME.get(regime)
    if leaving is not None and site == leaving[0] and cloud != site:
        return CloudDecision(True, f"allowed {leaving[1]} for {wid} data leaving {site} ({cite})",
                             conditional=True)
    if regime in _CITATIONS:  # modelled, and nothing limits this placement (e.g. DPDP today)
        return CloudDecision(True, f"allowed: {wid} data may be processed in {where_text} "
                                   f"({cite})")
    return CloudDecision(
        True,
        f"allowed only if {cite}'s own transfer rule permits it: flatbed does not model that "
        f"regime for {wid}",
        conditional=True,
    )


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
    "northamerica-northeast1": "CA", "northamerica-northeast2": "CA",
    "northamerica-south1": "MX", "mx-central-1": "MX",
    "westeurope": "NL", "northeurope": "IE", "uksouth": "GB", "ukwest": "GB",
    "germanywestcentral": "DE", "francecentral": "FR", "swedencentral": "SE",
    "norwayeast": "NO", "switzerlandnorth": "CH", "japaneast": "JP", "australiaeast": "AU",
    "canadacentral": "CA", "canadaeast": "CA", "centralindia": "IN", "southeastasia": "SG",
}
_REGION_PREFIX: tuple[tuple[str, str], ...] = (
    ("us-gov", "US"), ("us", "US"), ("eastus", "US"), ("westus", "US"), ("centralus", "US"),
    ("northcentralus", "US"), ("southcentralus", "US"),
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
