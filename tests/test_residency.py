"""Residency decisions cite the rule; hard rules forbid, soft rules state their condition."""

from __future__ import annotations

import pytest

from flatbed.residency import (
    CloudDecision,
    cloud_allowed,
    combine_decisions,
    regime_citation,
    region_country,
)
from flatbed.scenario import DataRule


def rule(where: str, regime: str = "none") -> DataRule:
    return DataRule(where=where, regime=regime)


def test_itar_on_site_forbids_with_citation() -> None:
    d = cloud_allowed("x", rule("on_site", "ITAR"), "US", "US")
    assert not d.allowed
    # the scenario's rule forbids it; the regime is named as context, not as the requirement
    assert d.reason == ("cloud forbidden: workload 'x' data must stay on site (the scenario's data "
                        "rule; regime ITAR, 22 CFR 120.54)")


def test_in_country() -> None:
    assert cloud_allowed("w", rule("in_country", "GDPR"), "DE", "DE").allowed
    d = cloud_allowed("w", rule("in_country", "GDPR"), "DE", "IE")
    assert not d.allowed and "GDPR Art. 44-49" in d.reason and "IE" in d.reason
    unknown = cloud_allowed("w", rule("in_country"), "US", None)
    assert not unknown.allowed and "unknown" in unknown.reason


def test_cjis_is_hard_even_when_anywhere() -> None:
    assert cloud_allowed("p", rule("anywhere", "CJIS"), "US", "CA").allowed
    d = cloud_allowed("p", rule("anywhere", "CJIS"), "US", "DE")
    assert not d.allowed and "5.10.1.4" in d.reason


@pytest.mark.parametrize(("regime", "site", "cloud", "needle"), [
    ("HIPAA", "US", "US", "business associate agreement"),
    ("GDPR", "FR", "US", "Chapter V"),
    ("ITAR", "US", "IE", "encrypted"),
    ("PIPL", "CN", "SG", "CAC"),
])
def test_soft_regimes_allowed_with_condition(regime: str, site: str, cloud: str,
                                             needle: str) -> None:
    d = cloud_allowed("w", rule("anywhere", regime), site, cloud)
    assert d.allowed and d.conditional and needle in d.reason


def test_gdpr_inside_eea_is_unconditional() -> None:
    d = cloud_allowed("w", rule("anywhere", "GDPR"), "FR", "NL")
    assert d.allowed and not d.conditional


def test_combine() -> None:
    ok = CloudDecision(True, "fine")
    bad = CloudDecision(False, "cloud forbidden: a")
    assert not combine_decisions([ok, bad]).allowed
    assert combine_decisions([ok, bad]).reason == "cloud forbidden: a"
    assert combine_decisions([ok]).allowed
    assert combine_decisions([]).allowed


@pytest.mark.parametrize(("region", "cc"), [
    ("us-east-1", "US"), ("eu-central-1", "DE"), ("europe-west4", "NL"), ("westeurope", "NL"),
    ("eastus2", "US"), ("DE", "DE"), ("ap-south-1", "IN"), ("mars-1", None),
    # Google Cloud: Montréal and Toronto are in Canada, Querétaro is in Mexico
    ("northamerica-northeast1", "CA"), ("northamerica-northeast2", "CA"),
    ("northamerica-south1", "MX"), ("northamerica-west9", None),
])
def test_region_country(region: str, cc: str | None) -> None:
    assert region_country(region) == cc


def test_citation_unknown_regime_passes_through() -> None:
    assert regime_citation("itar") == "ITAR, 22 CFR 120.54"
    assert regime_citation(" uk  gdpr ") == "UK GDPR Art. 44-49"
    assert regime_citation("Company policy 7") == "Company policy 7"


# Rules re-checked against their sources (session 3). Each expectation restates the source's text.

@pytest.mark.parametrize("cloud", ["CN", "RU", "BY", "IR", None])
def test_export_carve_outs_exclude_proscribed_countries_and_unknown_regions(
        cloud: str | None) -> None:
    # 22 CFR 120.54(a)(5)(iv): "Not ... stored in a country proscribed in § 126.1 ... or the
    # Russian Federation"; 15 CFR 734.18(a)(5)(iv): "Not intentionally stored in a country listed
    # in Country Group D:5 ... or in the Russian Federation". Encryption does not cure it.
    for regime in ("ITAR", "EAR"):
        d = cloud_allowed("t", rule("anywhere", regime), "US", cloud)
        assert not d.allowed and "carve-out excludes" in d.reason, (regime, cloud)


def test_export_controls_in_the_us_still_need_us_person_access() -> None:
    # 22 CFR 120.50(a)(2): releasing technical data to a foreign person in the US is an export
    d = cloud_allowed("t", rule("anywhere", "ITAR"), "US", "US")
    assert d.allowed and d.conditional and "U.S. persons" in d.reason
    ear = cloud_allowed("t", rule("anywhere", "EAR"), "US", "DE")
    assert ear.allowed and ear.conditional and "encrypted" in ear.reason


def test_cjis_country_list_binds_even_in_country_and_mexico_is_not_canada() -> None:
    assert not cloud_allowed("p", rule("in_country", "CJIS"), "DE", "DE").allowed
    d = cloud_allowed("p", rule("anywhere", "CJIS"), "US", region_country("northamerica-south1"))
    assert not d.allowed and "MX" in d.reason
    assert cloud_allowed("p", rule("anywhere", "CJIS"), "US",
                         region_country("northamerica-northeast1")).allowed


def test_gdpr_adequacy_and_exporters_outside_the_eea() -> None:
    # Art. 45: a transfer to an adequate country "shall not require any specific authorisation"
    jp = cloud_allowed("g", rule("anywhere", "GDPR"), "DE", "JP")
    assert jp.allowed and not jp.conditional and "adequacy" in jp.reason
    # the US decision covers only Data Privacy Framework certified companies
    us = cloud_allowed("g", rule("anywhere", "GDPR"), "DE", "US")
    assert us.allowed and us.conditional
    # GDPR data exported from a site outside the EEA is still a Chapter V transfer
    assert cloud_allowed("g", rule("anywhere", "GDPR"), "GB", "US").conditional


def test_uk_gdpr_rbi_pdpl_are_modelled() -> None:
    # DPA 2018 Sch. 21 para 5: EEA states are adequate for UK transfers
    assert not cloud_allowed("u", rule("anywhere", "UK GDPR"), "GB", "DE").conditional
    assert cloud_allowed("u", rule("anywhere", "UK GDPR"), "GB", "US").conditional
    # RBI 2018: payment data stored only in India; processing abroad, back within 24 h
    rbi = cloud_allowed("r", rule("anywhere", "RBI"), "IN", "SG")
    assert rbi.allowed and rbi.conditional and "24 h" in rbi.reason
    assert not cloud_allowed("r", rule("anywhere", "RBI"), "IN", "IN").conditional
    # Saudi PDPL Art. 29: transfers need adequacy or safeguards
    assert cloud_allowed("s", rule("anywhere", "PDPL"), "SA", "DE").conditional


def test_unmodelled_regime_is_conditional_not_a_blank_cheque() -> None:
    d = cloud_allowed("x", rule("anywhere", "trade-secret"), "US", "US")
    assert d.allowed and d.conditional and "does not model" in d.reason
    # India's DPDP s.16 restricts no country yet: allowed, and saying so
    dpdp = cloud_allowed("x", rule("anywhere", "DPDP"), "IN", "US")
    assert dpdp.allowed and not dpdp.conditional
