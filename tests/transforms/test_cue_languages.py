"""Cue words per language (transforms/data/cues/<language>.yaml): one credit of each kind a language's
file holds, in a sentence of that language. Sentences marked "page" are quoted from a corpus page
(attribution-dev, or the Fundus development half A–M)."""

from __future__ import annotations

import pytest

from transforms.credit_cues import CUES_DIR
from transforms.records import TEXT_ROLES, Article
from transforms.tag_sources import tag_sources

# (language, text, source, role)
SENTENCES = [
    ("en", "The minister told Reuters on Monday that talks would go on.", "Reuters", "cited"),
    ("en", "Graham told The Associated Press he was worried about Georgia’s shift.", "AP", "cited"),  # page
    ("en", "A Reuters poll of economists showed slower growth.", "Reuters", "cited"),
    ("de", "Die Zahl stieg, wie die Nachrichtenagentur Reuters berichtete.", "Reuters", "cited"),
    (
        "de",
        "Jüngst berichteten die französischsprachigen Medien Le Figaro und RTL darüber.",
        "Le Figaro",
        "cited",
    ),
    ("es", "Según confirmó a EFE Zaher al Waheidi, director de la unidad.", "EFE", "cited"),  # page
    (
        "fr",
        "Dmitri Peskov, dans une interview à l’agence RIA Novosti publiée vendredi.",
        "RIA Novosti",
        "cited",
    ),
    (
        "it",
        "La versione di Mosca. Dalla Tass si apprendeva che la situazione era tesa.",
        "TASS",
        "cited",
    ),  # page
    ("pt", "Segundo a agência Lusa, o acordo foi assinado ontem.", "Lusa", "cited"),
    ("nl", "Dat meldt persbureau ANP op zondag.", "ANP", "cited"),
    ("no", "Det er ikke sikkert, sa han ifølge Reuters.", "Reuters", "cited"),  # page
    ("sv", "Han är inte säker, sa Trump till Financial Times på fredagen.", "Financial Times", "cited"),
    ("da", "Det oplyser politiet, skriver Ritzau.", "Ritzau", "cited"),
    ("fi", "Poliisi tutkii tapausta STT:n mukaan.", "STT", "cited"),
    ("pl", "Według agencji PAP rozmowy potrwają do piątku.", "PAP", "cited"),
    ("cs", "Podle agentury ČTK se jednání protáhne.", "ČTK", "cited"),
    ("tr", "Reuters'a göre görüşmeler cuma günü sürecek.", "Reuters", "cited"),
    ("tr", "Yangın söndürüldü.\nAnadolu Ajansı'na konuşan yetkili bilgi verdi.", "Anadolu", "cited"),
    ("ru", "Переговоры продолжатся в пятницу, сообщает ТАСС.", "TASS", "cited"),
    ("uk", "Переговори триватимуть до п'ятниці, повідомляє Укрінформ.", "Ukrinform", "cited"),
    ("ar", "ذكرت وكالة وفا أن المفاوضات ستستمر.", "WAFA", "cited"),
    ("ja", "共同通信によると、会談は金曜日まで続く。", "Kyodo", "cited"),
    (
        "ja",
        "外交を総括する演説をするバイデン米大統領＝ワシントンで2025年1月13日、ロイター",
        "Reuters",
        "photo",
    ),
    ("zh", "据新华社报道，会谈将持续到周五。", "Xinhua", "cited"),
    ("ko", "연합뉴스에 따르면 회담은 금요일까지 계속된다.", "Yonhap", "cited"),
    ("ko", "이재명 대통령 당선인 [사진 출처 = 연합뉴스]", "Yonhap", "photo"),  # page
    ("de", "Berlin (dpa) - Die Regierung will sparen.", "dpa", "origin"),
    ("de", "Die Bilanz fiel schwächer aus.\nQuelle: sid/dpa", "dpa", "origin"),
    ("de", "Der Zinssatz ist um drei Prozent gesunken. sak/Reuters", "Reuters", "origin"),
    ("fr", "Par Le Figaro et AFP\nLe président a parlé.", "AFP", "origin"),  # page
    ("es", "Putin no dio detalles.\n(Con información de AFP, EFE y Reuters)", "EFE", "origin"),
    ("no", "Solskjær kan gjøre comeback.\n(NTB)", "NTB", "origin"),
    ("de", "Die Bischöfe beraten weiter.\nFoto: Soeren Stache/dpa", "dpa", "photo"),
    ("sv", "Efterdyningarna efter attacken mot Kiev.\nFoto: Efrem Lukatsky/AP", "AP", "photo"),  # page
    # translated or reprinted articles: another outlet's copy
    (
        "de",
        "Dieser Artikel ist eine Übersetzung, im Original ist er in der israelischen Tageszeitung"
        " Haaretz erschienen.",
        "Haaretz",
        "origin",
    ),  # page
    ("en", "This story was originally published by The Washington Post.", "The Washington Post", "origin"),
    ("fr", "Cet article a été initialement publié dans Le Figaro.", "Le Figaro", "origin"),
    (
        "es",
        "Este artículo fue publicado originalmente en The New York Times.",
        "The New York Times",
        "origin",
    ),
    ("it", "Articolo pubblicato originariamente su Financial Times.", "Financial Times", "origin"),
    ("pt", "Texto publicado originalmente na BBC.", "BBC", "origin"),
    ("nl", "Dit artikel is oorspronkelijk verschenen in The Guardian.", "The Guardian", "origin"),
    ("no", "Saken ble opprinnelig publisert i Financial Times.", "Financial Times", "origin"),
    ("da", "Artiklen er oprindeligt bragt i The Economist.", "The Economist", "origin"),
    ("sv", "Artikeln ursprungligen publicerad i Der Spiegel.", "Der Spiegel", "origin"),
    ("pl", "Tekst pierwotnie opublikowany w Politico.", "Politico", "origin"),
    (
        "fr",
        "selon une tribune publiée jeudi dans le quotidien « Le Monde », les",
        "Le Monde",
        "cited",
    ),  # page
    # grammar beyond the development pages' wording
    ("de", "Mit Material der Nachrichtenagenturen dpa und AFP", "dpa", "origin"),
    ("nl", "Het vliegtuig is neergestort, aldus Belga.", "Belga", "cited"),
    ("nl", "Dat laat de politie weten aan het ANP.", "ANP", "cited"),
    ("nl", "Dat bericht nieuwsagentschap Reuters zondag.", "Reuters", "cited"),
    ("tr", "Yetkili, Reuters'a yaptığı açıklamada bilgi verdi.", "Reuters", "cited"),
    ("tr", "Bakan, Anadolu Ajansı'na verdiği demeçte konuştu.", "Anadolu", "cited"),
    ("tr", "Yangın söndürüldü.\nKaynak: AA", "Anadolu", "origin"),
    ("en", "according to a tally by The Associated Press", "AP", "cited"),
    ("en", "Reuters could not independently verify the footage.", "Reuters", "cited"),
    ("en", "The talks failed.\n— The Associated Press", "AP", "origin"),
    ("ja", "【ワシントン共同】米政府は発表した。", "Kyodo", "origin"),
    ("ja", "米政府は発表した。（共同）", "Kyodo", "origin"),
    # a document the agency obtained or saw: the agency is the fact's source
    (
        "pt",
        "Assange chegou a renunciar a asilo, segundo uma carta à qual a AFP teve acesso.",
        "AFP",
        "cited",
    ),  # feed item (uolNoticias.rss)
    ("pt", "O relatório, obtido pela Reuters, mostra perdas.", "Reuters", "cited"),
    ("es", "Según documentos obtenidos por EFE, el plan se aplaza.", "EFE", "cited"),
    ("fr", "Selon une note consultée par l’AFP, le projet est suspendu.", "AFP", "cited"),
    ("it", "Secondo un documento visionato dalla Reuters, il piano slitta.", "Reuters", "cited"),
    ("de", "Das geht aus einem Schreiben hervor, das der Deutschen Presse-Agentur vorliegt.", "dpa", "cited"),
    # source lines and co-credits of wire copy, and the outlet asked for a comment
    ("de", "Die Regierung will sparen.\nAgentur: dpa", "dpa", "origin"),
    ("de", "Stand: 12.01.2026 14:30 Uhr | Quelle: dpa\nDie Regierung will sparen.", "dpa", "origin"),
    ("de", "Die Regierung will sparen.\nUnter Mitarbeit von dpa", "dpa", "origin"),
    ("de", "Die Regierung will sparen.\nMit Agenturmaterial von Reuters", "Reuters", "origin"),
    ("de", "Dieser Artikel basiert auf Material der Nachrichtenagenturen dpa und AFP.", "AFP", "origin"),
    ("en", "The talks failed.\n(With inputs from PTI)", "PTI", "origin"),
    ("en", "This article was produced by The Associated Press.", "AP", "origin"),
    ("en", "Story by Reuters\nThe talks failed.", "Reuters", "origin"),
    ("en", "The talks failed.\nThis story was first published by Reuters.", "Reuters", "origin"),
    ("en", "A spokesperson declined to comment to Reuters.", "Reuters", "cited"),
    ("en", "The company did not respond to a request for comment from Reuters.", "Reuters", "cited"),
    ("en", "Reuters was unable to reach the company.", "Reuters", "cited"),
    ("en", "Exports rose, according to data compiled by Bloomberg.", "Bloomberg", "cited"),
    # sixth pass: source lines in their plural and bracketed forms, lower-case signatures of German and
    # Nordic papers, and a dateline-only token after a source word, a photo word or a copyright mark
    ("de", "Die Regierung will sparen.\n(Quelle: dpa)", "dpa", "origin"),
    ("en", "The talks failed.\n(Source: AP)", "AP", "origin"),
    ("de", "Die Regierung will sparen.\nQuelle: afp", "AFP", "origin"),
    ("de", "Die Regierung will sparen. (afp)", "AFP", "origin"),
    ("de", "Berlin (rtr) - Die Regierung will sparen.", "Reuters", "origin"),
    ("de", "Die Regierung will sparen.\n(red/dpa)", "dpa", "origin"),
    ("de", "Der Trainer ist entlassen.\nQuelle: sid/dpa", "dpa", "origin"),
    ("de", "Der Bischof sprach in Rom. (kna)", "KNA", "origin"),
    ("da", "Politiet efterforsker sagen.\n/ritzau/", "Ritzau", "origin"),
    ("no", "Forhandlingene fortsetter.\nKilder: NTB, Reuters", "NTB", "origin"),
    ("sv", "Förhandlingarna fortsätter.\nKällor: TT, Reuters", "TT Nyhetsbyrån", "origin"),
    ("nl", "De onderhandelingen gaan door.\nBronnen: ANP/AFP", "ANP", "origin"),
    ("pl", "Rozmowy potrwają do piątku.\nŹródła: PAP, Reuters", "PAP", "origin"),
    ("cs", "Jednání pokračuje.\nZdroje: ČTK, Reuters", "ČTK", "origin"),
    ("it", "I negoziati continuano.\nFonti: ANSA, Reuters", "ANSA", "origin"),
    ("pt", "As negociações continuam.\nCom Lusa", "Lusa", "origin"),
    ("tr", "Görüşmeler sürüyor.\nKaynak: İHA", "İhlas Haber Ajansı", "origin"),
    ("tr", "İSTANBUL (İHA) - Görüşmeler sürüyor.", "İhlas Haber Ajansı", "origin"),
    ("tr", "Görüşmeler sürüyor.\nTüm hakları saklıdır. © AA", "Anadolu", "origin"),
    ("sv", "Ministern talade på måndagen.\nFoto: TT", "TT Nyhetsbyrån", "photo"),
    ("de", "Die Regierung will sparen.\nCopyright: APA", "APA", "origin"),
    ("pl", "Rozmowy potrwają do piątku.\n© ℗ Wszelkie prawa zastrzeżone PAP", "PAP", "origin"),
    ("en", "The talks failed.\nWith input from Reuters", "Reuters", "origin"),
    ("fr", "Le ministre à Paris.\nPhoto AFP", "AFP", "photo"),
    ("en", "He posted a photo Reuters said was fake.", "Reuters", "cited"),  # a photo word, then a sentence
    ("de", "Der Minister in Berlin. Foto AFP/John Doe", "AFP", "photo"),
    ("hu", "A tárgyalások péntekig tartanak az MTI szerint.", "MTI", "cited"),
    ("nl", "Dat zegt een woordvoerder van het ministerie tegen persbureau ANP.", "ANP", "cited"),
    ("nl", "Dat bevestigt de politie aan het ANP.", "ANP", "cited"),
    ("nl", "Het kabinet valt, schrijft Bloomberg.", "Bloomberg", "cited"),
    ("nl", "Dat zei de minister in gesprek met Reuters.", "Reuters", "cited"),
    ("tr", "Bakan Reuters'a konuştu.", "Reuters", "cited"),
    ("tr", "Reuters haber ajansına konuşan yetkili bilgi verdi.", "Reuters", "cited"),
    ("hu", "A miniszter Budapesten.\nFotó: MTI", "MTI", "photo"),
    ("hu", "A tárgyalások folytatódnak.\nForrás: MTI", "MTI", "origin"),
    ("ar", "الوزير في الرياض.\nصورة: رويترز", "Reuters", "photo"),
    ("ar", "وقال الوزير لوكالة فرانس برس إن المحادثات مستمرة.", "AFP", "cited"),
    # a title that is an ordinary word counts only between quotation marks
    ("de", "Der Kanzler sagte dem „Spiegel“, er sei zuversichtlich.", "Der Spiegel", "cited"),
    ("de", "Wie die „Zeit“ berichtet, ist er zurückgetreten.", "DIE ZEIT", "cited"),
    ("de", "Er sagte der „Bild“-Zeitung, er sei müde.", "BILD", "cited"),
]


@pytest.mark.parametrize(("language", "text", "source", "role"), SENTENCES)
def test_a_credit_in_each_language(language: str, text: str, source: str, role: str) -> None:
    tags = tag_sources(Article(text=text, language=language))
    got = {(t.source, t.role) for t in tags}
    assert (source, role) in got, tags
    if role == "photo":
        assert not any(t.source == source and t.role in TEXT_ROLES for t in tags), tags
    for t in tags:
        assert text[t.start : t.end] == t.evidence


def test_every_language_file_is_exercised() -> None:
    languages = {path.stem for path in CUES_DIR.glob("*.yaml")}
    assert languages <= {language for language, *_ in SENTENCES}


# Mentions that are not credits, in several languages: nothing may be tagged with a text role.
NOT_CREDITS = [
    ("ja", "辛酸なめ子のじわじわ時事ワード"),  # 時事 is "current affairs", not Jiji Press
    ("ja", "日米共同声明を発表した。"),  # 共同 inside "joint statement"
    ("de", "Mehr zum Thema: Die Bilder des Tages."),
    ("es", "El jefe de la diplomacia recalcó que la ANP es la alternativa."),
    ("en", "CNN reported that it would lay off 100 employees."),
    ("en", "Haryana Congress AAP Alliance talks collapsed."),
    ("de", "Die Welt schreibt Geschichte, sagte er."),  # not quoted: the world, not the newspaper
    ("de", "Die Zeit läuft ab, berichtete der Sprecher."),
    ("de", "Das Bild zeigt den Minister, sagte er dem Spiegel."),
    # lower-case and dateline-only tokens in running text are no signatures
    ("de", "Der Kandidat sid sprach, die afp sei schuld, meinte rtr gestern."),
    ("en", "The AA meeting was held, and TT players met on Monday."),
    ("tr", "Kaynak: yetkililerin açıklaması, ayrıntılar İHA binasında verildi."),
    ("nl", "Hij zei dat hij tegen de BBC was."),  # "against the BBC": a clause between the verb and the name
    ("nl", "De demonstranten keerden zich tegen Reuters en andere media."),
]


@pytest.mark.parametrize(("language", "text"), NOT_CREDITS)
def test_mentions_that_are_not_credits(language: str, text: str) -> None:
    tags = tag_sources(Article(text=text, language=language))
    assert not [t for t in tags if t.role in TEXT_ROLES], tags
