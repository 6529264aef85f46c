"""No English left in Khmer mode (issue 14 item 7; field-use review findings 13 and 14):
WTForms' own validation messages come in Khmer, and the review queue opens with no error."""
from __future__ import annotations

from tests.web import csrf, login, make_user


def test_log_in_with_empty_fields_answers_in_khmer(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"identifier": "", "password": "", "csrf_token": csrf(page)})
    text = response.get_data(as_text=True)
    assert "This field is required." not in text
    assert "សូមបំពេញប្រអប់នេះ។" in text


def test_the_review_queue_opens_without_an_error_and_a_bad_filter_says_so_in_khmer(app, client):
    make_user(app, "supervisor")
    login(client, "supervisor")
    default = client.get("/review/").get_data(as_text=True)
    assert "Not a valid choice." not in default and "សូមជ្រើសរើសចម្លើយមួយក្នុងបញ្ជី" not in default
    wrong = client.get("/review/?state=waiting").get_data(as_text=True)
    assert "Not a valid choice." not in wrong and "សូមជ្រើសរើសចម្លើយមួយក្នុងបញ្ជី" in wrong
    assert ">web<" not in default  # the channel filter names the web form in Khmer


def test_cambodia_comes_first_in_the_nationality_list(app, client):
    """Field-use review finding 20: Cambodia was the 14th of 257 entries."""
    make_user(app, "border")
    login(client, "border")
    countries = client.get("/api/questionnaire").get_json()["countries"]
    assert countries["km"][0]["value"] == "KH" and countries["en"][0] == {"value": "KH", "label": "Cambodia"}
