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


def test_a_declaration_that_is_no_language_tag_leaves_it_to_the_text():
    # People.cn sends `Content-Language: utf-8`: that is a character set, not the language "utf"
    assert detect_language(ENGLISH, "utf-8") == "en"
    assert detect_language(GERMAN, "iso-8859-1") == "de"
    assert detect_language("Kurz.", "utf-8") is None
    assert detect_language("Curto.", "pt-BR") == "pt"
    assert detect_language("Curto.", "zh-Hant-TW") == "zh"


def test_unspaced_text_is_long_enough_to_identify():
    # a Japanese sentence: no spaces, but far more than five words
    assert (
        detect_language("宮崎県で震度5弱の地震があり、高知県と宮崎県に津波注意報が発表されました。") == "ja"
    )
