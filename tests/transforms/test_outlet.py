import socket

import pytest

from transforms.outlet import registered_domain, resolve_outlet
from transforms.registry import load_registry


@pytest.fixture()
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_registered_domain_is_public_suffix_aware_and_offline(no_network):
    assert registered_domain("https://money.cnn.com/2017/05/08/x") == "cnn.com"
    assert registered_domain("http://news.bbc.co.uk/2/hi") == "bbc.co.uk"
    assert registered_domain("https://www.abc.net.au/news") == "abc.net.au"
    assert registered_domain("not a url") is None


def test_outlet_rules_in_order():
    registry = load_registry()
    url = "http://money.cnn.com/2017/05/08/technology/wechat-blocked-russia-china/"
    assert resolve_outlet(registry, "Manifest Outlet", url, "Site") == "Manifest Outlet"
    assert resolve_outlet(registry, None, url, "CNNMoney") == "CNN"
    assert resolve_outlet(registry, None, "https://www.example.org/a", "Example Daily") == "Example Daily"
    assert resolve_outlet(registry, None, "https://www.example.org/a", None) == "example.org"
    assert resolve_outlet(registry, None, None, None) is None


def test_an_invalid_url_has_no_host_instead_of_an_error():
    from transforms.outlet import host_of, registered_domain

    assert host_of("http://[::1") is None
    assert registered_domain("http://[::1") is None
    assert host_of("https://Example.COM./x") == "example.com"
