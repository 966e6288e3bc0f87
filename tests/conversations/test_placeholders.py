from conversations.placeholders import render_placeholders


def test_known_placeholders_are_filled():
    text = render_placeholders("Hello {first_name}, you gave {score}.", {"first_name": "Jeanne", "score": 3})
    assert text == "Hello Jeanne, you gave 3."


def test_unknown_placeholders_and_template_syntax_stay_as_typed():
    text = "{unknown} {first_name.__class__} {{ settings.SECRET_KEY }} {% debug %} {0}"
    assert render_placeholders(text, {"first_name": "Jeanne"}) == text


def test_a_value_is_never_expanded_again():
    # A customer who wrote "{agent_name}" in a comment gets their words back, not a name.
    text = render_placeholders("“{comment}” {agent_name}", {"comment": "{agent_name} {score}", "agent_name": "Alice"})
    assert text == "“{agent_name} {score}” Alice"


def test_an_unknown_first_name_does_not_leave_a_gap_before_the_comma():
    assert render_placeholders("Hello {first_name},", {"first_name": ""}) == "Hello,"
