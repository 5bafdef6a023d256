import pytest

from dossier.names import fold, resolution_key, resolution_symbol, slugify


@pytest.mark.parametrize("text, slug", [
    ("Corée du Nord", "coree-du-nord"),
    ("S/RES/1718 (2006)", "s-res-1718-2006"),
    ("../../etc/passwd", "etc-passwd"),
    ("République populaire de Lougansk", "republique-populaire-de-lougansk"),
    ("Équipe d’experts", "equipe-d-experts"),
])
def test_slugs_are_ascii_and_contained(text, slug):
    assert slugify(text) == slug


def test_fold_ignores_case_accents_and_quote_style():
    assert fold("CORÉE  du nord") == fold("coree du Nord")
    assert fold("République islamique d’Iran") == fold("republique islamique d'iran")


@pytest.mark.parametrize("reference", [2397, "2397", "UNSCR 2397", "S/RES/2397",
                                       "S/RES/2397 (2017)", "s/res/2397(2017)",
                                       "résolution 2397"])
def test_security_council_references_share_one_key(reference):
    assert resolution_key(reference)[0] == "S/RES/2397"


def test_general_assembly_symbols_are_kept():
    assert resolution_key("A/RES/ES-11/1") == ("A/RES/ES-11/1", None)
    assert resolution_symbol("S/RES/2397", "2017") == "S/RES/2397 (2017)"
