import pytest

from tests.conftest import SEEDS
from transforms.dates import normalize_date
from transforms.plaintext import clean_plaintext


def seed(name_prefix: str) -> str:
    (path,) = SEEDS.glob(f"{name_prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def test_every_seed_meets_its_gold_title_byline_date_and_body(seed_gold):
    for name, gold in ((k, v) for k, v in seed_gold.items() if not k.startswith("_")):
        article = clean_plaintext((SEEDS / name).read_text(encoding="utf-8"))
        assert article.title == gold["title"], name
        assert article.byline == gold["byline"], name
        assert article.published == gold["published"], name
        for phrase in gold["body_must_contain"]:
            assert phrase in article.text, (name, phrase)
        for phrase in gold["body_must_not_contain"]:
            assert phrase not in article.text, (name, phrase)


def test_title_byline_and_date_run_together_on_the_first_line():
    article = clean_plaintext(seed("000"))
    assert article.title == "Russia Bans Chinese App WeChat For Not Turning Over Data"
    assert article.byline == "Vittorio Hernandez"
    assert article.published == "2017-05-10T13:41:00-04:00"
    assert article.text.startswith("Roskomnadzor, the Internet regulator in Russia")


def test_photo_captions_and_copyright_line_leave_the_text_but_stay_as_evidence():
    article = clean_plaintext(seed("003"))
    kinds = {c.where for c in article.credits}
    assert kinds == {"caption", "credit_line"}
    assert any("AFP PHOTO/Peter PARKS" in c.text for c in article.credits)
    assert any(c.text == "© Agence France-Presse" for c in article.credits)
    assert "AFP PHOTO" not in article.text
    assert article.text.startswith("BEIJING, China (AFP) — Chinese internet giant")


def test_video_widget_after_the_article_is_cut_off():
    article = clean_plaintext(seed("002"))
    assert article.published == "2017-05-06"
    assert article.text.endswith("on similar lines to the rules governing China's cyberspace.")
    assert "Presenter" not in article.text


def test_a_widget_like_subheading_mid_body_is_text_not_the_end_of_the_article():
    whole = clean_plaintext(seed("002"))
    paragraphs = whole.text.split("\n\n")
    # The seed with a subheading after its third paragraph: the cut dropped the 8 after it.
    head, _, rest = seed("002").partition(paragraphs[3])
    article = clean_plaintext(f"{head}More on the footage\n\n{paragraphs[3]}{rest}")
    assert article.text.split("\n\n") == [*paragraphs[:3], "More on the footage", *paragraphs[3:]]
    # The same words before a list of headlines, or near the end, still end the article.
    headlines = "\n\n".join(f"Headline number {n} of another story" for n in range(1, 9))
    listed = clean_plaintext(f"{head}More on the footage\n\n{headlines}\n\n{paragraphs[3]}")
    assert listed.text.split("\n\n") == paragraphs[:3]
    article_then_more = "\n\n".join(
        [
            *paragraphs[3:],
            "More on the footage",
            "Watch the footage of the ban and what it means for its users.",
        ]
    )
    near_end = clean_plaintext(head + article_then_more)
    assert near_end.text == whole.text


def test_alt_text_and_repeated_title_are_not_body():
    article = clean_plaintext(seed("001"))
    assert article.title == "Russia Bans Chinese Chat App WeChat"
    assert "WeChat Chinese chat app" not in article.text
    assert article.text.count("Russia Bans Chinese Chat App WeChat") == 0
    # Section headings inside the body are article text.
    assert "China’s strict rule" in article.text


def test_breadcrumb_and_comment_form_are_dropped_but_via_lines_stay():
    article = clean_plaintext(seed("004"))
    assert article.title == "Russians Say No To WeChat"
    assert "Computers/ Technology" not in article.text
    assert "Leave a Reply" not in article.text
    assert "(Via: http://money.cnn.com/2017/05/08/technology/wechat-blocked-russia-china/)" in article.text


def test_hard_wrapped_paragraphs_are_joined():
    text = (
        "Storm hits coast\n\nBy Jane Roe\n\n"
        "The storm reached the coast on Monday night, bringing winds of more than\n"
        "150 kilometres an hour and flooding streets in several towns along the bay,\n"
        "officials said on Tuesday morning after a night of emergency operations.\n"
    )
    article = clean_plaintext(text)
    assert article.title == "Storm hits coast"
    assert article.byline == "Jane Roe"
    assert article.text.startswith(
        "The storm reached the coast on Monday night, bringing winds of more than 150"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [("Published: 3 March 2021", "2021-03-03"), ("May 6, 2017 10:02 AM EDT", "2017-05-06T10:02:00-04:00")],
)
def test_date_lines_in_the_header_become_published(line, expected):
    body = "The council voted on the budget after a long debate that lasted well into the evening hours."
    article = clean_plaintext(f"Council passes budget\n\n{line}\n\n{body}")
    assert article.published == expected == normalize_date(expected)
    assert article.text == body
