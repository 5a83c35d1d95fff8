from transforms.language import detect_language

GERMAN = (
    "Der Bundesrat hat am Freitag dem Gesetz zugestimmt, das die Förderung erneuerbarer Energien neu regelt. "
    "Die Länder hatten zuvor lange über die Verteilung der Mittel gestritten, am Ende stimmte eine breite "
    "Mehrheit zu. Die Regierung erwartet, dass die neuen Regeln im Sommer in Kraft treten."
)
ENGLISH = "Chinese internet giant Tencent said Saturday its messaging app WeChat had been blocked in Russia."


def test_detects_the_language_of_plain_text():
    assert detect_language(GERMAN) == "de"
    assert detect_language(ENGLISH) == "en"


def test_declared_language_is_normalised_and_kept_when_text_agrees_or_is_short():
    assert detect_language(GERMAN, "de-AT") == "de"
    assert detect_language("Kurz.", "de_DE") == "de"
    assert detect_language(ENGLISH, "en") == "en"


def test_a_template_default_is_overruled_by_clear_text():
    assert detect_language(GERMAN * 2, "en") == "de"


def test_too_little_text_and_nothing_declared_is_unknown():
    assert detect_language("WeChat") is None
