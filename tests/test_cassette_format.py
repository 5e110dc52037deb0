"""The cassette plumbing: storage format, body matcher, scrubbers (tests/cassette_format.py)."""

from __future__ import annotations

import json

import cassette_format
import pytest
import yaml
from vcr.request import Request

PROMPT = "You annotate claims.\n\nA claim is a proposition.\nQuotes: \u201cx\u201d and 'y'."


def request(body: object) -> Request:
    return Request("POST", "https://api.openai.com/v1/chat/completions", json.dumps(body).encode(), {})


def cassette(request_body: object, response_body: bytes, content_type: str = "application/json") -> dict:
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "https://api.openai.com/v1/chat/completions",
                    "body": json.dumps(request_body),
                    "headers": {"content-type": ["application/json"], "content-length": ["99"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"content-type": [content_type], "Content-Length": ["12"]},
                    "body": {"string": response_body},
                },
            }
        ],
    }


def test_json_bodies_are_stored_as_structures_with_literal_blocks():
    sent = {"model": "m", "messages": [{"role": "system", "content": PROMPT}]}
    answer = json.dumps({"id": "chatcmpl-1", "choices": []}).encode()
    text = cassette_format.serialize(cassette(sent, answer))
    assert "content: |-\n" in text and "  A claim is a proposition.\n" in text, "prompt lines diff as lines"
    stored = yaml.safe_load(text)["interactions"][0]
    assert stored["request"]["parsed_body"] == sent and "body" not in stored["request"]
    assert stored["response"]["parsed_body"] == {"id": "chatcmpl-1", "choices": []}
    assert "content-length" not in stored["request"]["headers"]
    assert "Content-Length" not in stored["response"]["headers"], "recomputed on replay"


def test_round_trip_gives_vcr_the_same_json():
    sent = {"model": "m", "messages": [{"role": "user", "content": PROMPT + "  \ntrailing spaces\x07"}]}
    answer = {"id": "chatcmpl-1", "note": "line one\nline two"}
    loaded = cassette_format.deserialize(cassette_format.serialize(cassette(sent, json.dumps(answer).encode())))
    (interaction,) = loaded["interactions"]
    assert json.loads(interaction["request"]["body"]) == sent
    assert json.loads(interaction["response"]["body"]["string"]) == answer
    assert isinstance(interaction["response"]["body"]["string"], bytes)


def test_a_body_that_is_not_json_stays_as_it_was():
    page = b"<html><body>502 Bad Gateway</body></html>"
    text = cassette_format.serialize(cassette({"model": "m"}, page, content_type="text/html"))
    (interaction,) = cassette_format.deserialize(text)["interactions"]
    assert interaction["response"]["body"]["string"] == page


def test_old_cassettes_with_string_bodies_still_load():
    old = yaml.safe_dump(cassette({"model": "m"}, b'{"id": "x"}'))
    (interaction,) = cassette_format.deserialize(old)["interactions"]
    assert json.loads(interaction["request"]["body"]) == {"model": "m"}


def test_body_matcher_ignores_key_order_and_library_noise():
    reask = (
        "Validation Error found:\n<completion>ChatCompletion(id='a', usage=None)</completion>\n"
        "[type=value_error, input_value={'claims': [...]}, input_type=dict]\n"
        "For further information visit https://errors.pydantic.dev/2.14/v/value_error"
    )
    other = (
        "Validation Error found:\n<completion>ChatCompletion(id='a', usage=None, extra=1)</completion>\n"
        "[type=value_error, input_value={'claims': [{'speaker': 'x'}]}, input_type=dict]\n"
        "For further information visit https://errors.pydantic.dev/2.15/v/value_error"
    )
    cassette_format.json_body(
        request({"model": "m", "messages": [{"role": "tool", "content": reask}]}),
        request({"messages": [{"content": other, "role": "tool"}], "model": "m"}),
    )


@pytest.mark.parametrize(
    "change",
    [
        {"model": "other"},
        {"seed": 43},
        {"messages": [{"role": "user", "content": "Annotate this."}]},
        {"temperature": 0.2},
    ],
)
def test_body_matcher_catches_what_is_ours(change):
    base = {"model": "m", "seed": 42, "temperature": 0, "messages": [{"role": "user", "content": "Annotate."}]}
    with pytest.raises(AssertionError, match="JSON bodies differ"):
        cassette_format.json_body(request(base), request({**base, **change}))


def test_first_difference_points_at_the_changed_text():
    a = {"messages": [{"content": "The mayor said the bridge would open."}]}
    b = {"messages": [{"content": "The mayor said the bridge could open."}]}
    found = cassette_format.first_difference(a, b)
    assert found is not None and found.startswith("$.messages[0].content from char 26")


def test_scrubbers_remove_keys_and_cookies(vcr_config, llm_env):
    sent = Request(
        "POST",
        "https://api.openai.com/v1/chat/completions",
        json.dumps({"messages": [{"role": "user", "content": f"key {llm_env} and sk-other0123456789"}]}).encode(),
        {"Authorization": f"Bearer {llm_env}", "X-Stainless-OS": "Linux", "Content-Type": "application/json"},
    )
    scrubbed = vcr_config["before_record_request"](sent)
    assert llm_env not in scrubbed.body.decode() and "sk-other" not in scrubbed.body.decode()
    assert "X-Stainless-OS" not in scrubbed.headers
    answer = {
        "status": {"code": 200, "message": "OK"},
        "headers": {
            "Set-Cookie": ["__cf_bm=abc"],
            "openai-organization": ["user-x"],
            "content-type": ["application/json"],
        },
        "body": {"string": json.dumps({"echo": f"Bearer {llm_env}"}).encode()},
    }
    cleaned = vcr_config["before_record_response"](answer)
    assert set(cleaned["headers"]) == {"content-type"}
    assert llm_env.encode() not in cleaned["body"]["string"] and b"Bearer sk" not in cleaned["body"]["string"]
    assert {"authorization", "cookie", "set-cookie", "api-key"} <= {h.lower() for h in vcr_config["filter_headers"]}
    assert vcr_config["record_mode"] == "none" and vcr_config["decode_compressed_response"] is True
    assert vcr_config["serializer"] == "yaml", "the structured serializer registered in VCR's place"
