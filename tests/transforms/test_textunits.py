from transforms.textunits import count_words, is_unspaced


def test_spaced_scripts_count_space_separated_words():
    assert count_words("The council met on Tuesday.") == 5
    assert count_words("Der Bundesrat hat am Freitag zugestimmt.") == 6
    assert count_words("  ") == 0


def test_han_and_kana_count_one_word_each():
    # "Tsunami advisory for Kochi and Miyazaki" with the ideographic space and comma of the page
    assert count_words("高知と宮崎に津波注意報") == 11
    assert count_words("南海トラフ、一時調査") == 9  # the comma is no word


def test_thai_counts_a_word_per_four_letters():
    assert count_words("สวัสดีครับ") == 3  # ten letters


def test_mixed_text_counts_both():
    assert count_words("iPhone 16 を発売") == 2 + 3


def test_is_unspaced():
    assert is_unspaced("調査") and is_unspaced("ภาษา")
    assert not is_unspaced("hello") and not is_unspaced("한국")  # Korean is written with spaces
