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
    assert d.reason == "cloud forbidden: workload 'x' data must stay on site (ITAR, 22 CFR 120.54)"


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
])
def test_region_country(region: str, cc: str | None) -> None:
    assert region_country(region) == cc


def test_citation_unknown_regime_passes_through() -> None:
    assert regime_citation("itar") == "ITAR, 22 CFR 120.54"
    assert regime_citation("Company policy 7") == "Company policy 7"
