"""Likes, favourites, subscriptions and comments (threaded one level, automod, notifications,
blocks)."""

import pytest

from apps.moderation.automod.services import filter_rule_save
from apps.moderation.models import FilterRule
from apps.players.friends import block_create
from apps.players.models import Notification
from apps.ugc.models import Comment, Item, Like
from apps.ugc.services.moderation import comment_hide, comment_remove
from tests.players.factories import PlayerFactory
from tests.ugc import corpus
from tests.ugc.conftest import client_for, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(title, alice):  # type: ignore[no-untyped-def]
    return upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                  filename="l.zip", name="Neon Canyon").json()  # fmt: skip


@pytest.mark.parametrize(("path", "counter"), [("like", "likes"), ("favourite", "favourites"),
                                               ("subscription", "subscribers")])  # fmt: skip
def test_toggles_are_idempotent_and_count_once(item, bob, path, counter):
    client = client_for(bob)
    url = f"/api/v1/ugc/items/{item['id']}/{path}"

    first, second = client.put(url).json(), client.put(url).json()
    mine = client.get(f"/api/v1/ugc/items/{item['id']}").json()["viewer"]
    removed, again = client.delete(url).json(), client.delete(url).json()

    assert (first["active"], first["counts"][counter]) == (True, 1)
    assert second["counts"][counter] == 1
    assert mine[{"like": "liked", "favourite": "favourited",
                 "subscription": "subscribed"}[path]] is True  # fmt: skip
    assert (removed["active"], removed["counts"][counter], again["counts"][counter]) == (
        False,
        0,
        0,
    )


def test_engagement_needs_a_player_and_a_published_item(title, alice, bob, item):
    draft = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(5),
                   filename="l.zip", publish="false").json()  # fmt: skip

    anonymous = client_for(None).put(f"/api/v1/ugc/items/{item['id']}/like")
    own_draft = client_for(alice).put(f"/api/v1/ugc/items/{draft['id']}/like")
    others_draft = client_for(bob).put(f"/api/v1/ugc/items/{draft['id']}/like")

    assert anonymous.status_code in (401, 403)
    assert (own_draft.status_code, own_draft.json()["error"]["code"]) == (409, "not_published")
    assert others_draft.json()["error"]["code"] == "unknown_item"
    assert not Like.objects.exists()


def test_comments_thread_one_level_and_notify(item, alice, bob):
    carol = PlayerFactory(display_name="carol", display_name_key="carol")
    url = f"/api/v1/ugc/items/{item['id']}/comments"
    top = client_for(bob).post(url, {"body": "Great level!\n\n\n\nReally"}).json()
    reply = client_for(carol).post(url, {"body": "Agreed", "parent_id": top["id"]}).json()
    too_deep = client_for(alice).post(url, {"body": "x", "parent_id": reply["id"]})
    empty = client_for(alice).post(url, {"body": " \u200b "})

    thread = client_for(alice).get(url).json()["results"]

    assert top["body"] == "Great level!\n\nReally"
    assert (too_deep.status_code, too_deep.json()["error"]["code"]) == (400, "reply_depth")
    assert empty.json()["error"]["code"] == "empty_comment"
    assert [(c["body"], [r["body"] for r in c["replies"]]) for c in thread] == [
        ("Great level!\n\nReally", ["Agreed"])]  # fmt: skip
    assert Item.objects.get(id=item["id"]).comment_count == 2
    assert set(Notification.objects.filter(kind="ugc_comment").values_list(
        "recipient__display_name", "actor__display_name")) == {
        ("alice", "bob"), ("alice", "carol"), ("bob", "carol")}  # fmt: skip


def test_automod_blocks_and_masks_comments(title, item, bob, django_capture_on_commit_callbacks):
    # Rule edits reach the matchers after their commit (the item fixture built one already).
    with django_capture_on_commit_callbacks(execute=True):
        filter_rule_save(rule=FilterRule(pattern="cheater", action="block", title=title))
        filter_rule_save(rule=FilterRule(pattern="noob", action="mask"))
    url = f"/api/v1/ugc/items/{item['id']}/comments"

    blocked = client_for(bob).post(url, {"body": "you cheater"})
    masked = client_for(bob).post(url, {"body": "what a noob map"}).json()

    assert (blocked.status_code, blocked.json()["error"]["code"]) == (400, "comment_rejected")
    assert masked["body"] == "what a **** map"
    assert Comment.objects.count() == 1


def test_automod_refuses_item_names_too(
    ugc_storage, title, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        filter_rule_save(rule=FilterRule(pattern="cheater", action="block", title=title))

    response = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                      filename="l.zip", name="Cheater's paradise")  # fmt: skip

    assert response.json()["error"]["code"] == "content_rejected"
    assert not Item.objects.exists()


def test_blocked_players_do_not_see_each_others_comments(item, alice, bob):
    carol = PlayerFactory(display_name="carol", display_name_key="carol")
    url = f"/api/v1/ugc/items/{item['id']}/comments"
    client_for(bob).post(url, {"body": "from bob"})
    client_for(carol).post(url, {"body": "from carol"})
    block_create(blocker=carol, blocked=bob)

    seen_by_carol = [c["body"] for c in client_for(carol).get(url).json()["results"]]
    seen_by_alice = [c["body"] for c in client_for(alice).get(url).json()["results"]]

    assert seen_by_carol == ["from carol"]
    assert seen_by_alice == ["from bob", "from carol"]


def test_authors_delete_and_moderators_hide_or_remove_comments(item, alice, bob):
    url = f"/api/v1/ugc/items/{item['id']}/comments"
    first = client_for(bob).post(url, {"body": "first"}).json()
    reply = client_for(alice).post(url, {"body": "thanks", "parent_id": first["id"]}).json()
    second = client_for(bob).post(url, {"body": "second"}).json()
    third = client_for(bob).post(url, {"body": "third"}).json()

    not_mine = client_for(alice).delete(f"/api/v1/ugc/comments/{first['id']}")
    client_for(bob).delete(f"/api/v1/ugc/comments/{first['id']}")
    comment_hide(comment=Comment.objects.get(id=second["id"]), moderator=None)
    comment_remove(comment=Comment.objects.get(id=third["id"]), moderator=None)
    thread = client_for(alice).get(url).json()["results"]

    assert (not_mine.status_code, not_mine.json()["error"]["code"]) == (403, "not_author")
    assert [(c["is_deleted"], c["body"], c["author"]) for c in thread] == [(True, "", None)]
    assert [r["id"] for r in thread[0]["replies"]] == [reply["id"]]
    assert Item.objects.get(id=item["id"]).comment_count == 1
    assert Comment.objects.get(id=third["id"]).body == "third"  # kept as evidence


def test_my_subscriptions_list_only_what_i_may_still_see(title, alice, bob):
    from apps.ugc.services.moderation import item_hide

    carol = PlayerFactory(display_name="carol", display_name_key="carol")
    ids = [
        upload(client_for(creator), title.slug, kind="level", content=corpus.level_zip(seed),
               filename="l.zip", name=name, visibility=visibility).json()["id"]
        for seed, (creator, name, visibility) in enumerate([
            (alice, "Public", "public"), (alice, "Unlisted", "unlisted"),
            (alice, "Hidden later", "unlisted"), (carol, "By a blocker", "public")])
    ]  # fmt: skip
    for item_id in ids:
        client_for(bob).put(f"/api/v1/ugc/items/{item_id}/subscription")
    item_hide(item=Item.objects.get(id=ids[2]), moderator=None)
    block_create(blocker=carol, blocked=bob)

    listed = client_for(bob).get("/api/v1/ugc/me/subscriptions").json()["results"]

    assert sorted(item["name"] for item in listed) == ["Public", "Unlisted"]
