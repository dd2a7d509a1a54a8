"""Portal pages of UGC: thin wrappers over the same selectors and services as the REST API.
Templates live in templates/ugc/; the upload page's script (static/ugc/upload.js) posts the
same form to the REST API to show a progress bar, and the form works without it."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.signing import BadSignature
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.common.exceptions import ApplicationError, NotFound
from apps.players.models import Player
from apps.players.selectors import player_get_optional_for_user, player_get_visible
from apps.titles.models import Title
from apps.ugc import selectors
from apps.ugc.enforcement import ugc_report_submit
from apps.ugc.exceptions import LinkExpired, UnknownItem, UnknownTitle
from apps.ugc.forms import (
    CommentForm,
    EditForm,
    GalleryFilterForm,
    ReportForm,
    UploadForm,
    VersionForm,
)
from apps.ugc.pagination import keyset_page
from apps.ugc.presenters import comment_thread_dict, item_dict, version_dict
from apps.ugc.receiving import UgcUploadHandler, received_file
from apps.ugc.services import comments as comment_services
from apps.ugc.services import engagement
from apps.ugc.services import items as item_services
from apps.ugc.services.fields import ItemInput, VersionInput
from apps.ugc.services.versions import version_add
from apps.ugc.storage import blob_open, blob_token_read

PAGE_SIZE = 24


def _viewer(request: HttpRequest) -> selectors.Viewer:
    user = request.user
    if not user.is_authenticated:
        return selectors.ANONYMOUS
    return selectors.Viewer(
        player=player_get_optional_for_user(user=user),
        is_moderator=user.has_perm("ugc.moderate_item"),
    )


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> Any:
    """Call a service; show its error message instead of failing the page (None then)."""
    try:
        result = action()
    except ApplicationError as error:
        messages.error(request, error.message)
        return None
    if success:
        messages.success(request, success)
    return result if result is not None else True


def _player_viewer(request: HttpRequest) -> tuple[selectors.Viewer, Player]:
    """The viewer and their player; 404 for anyone without a player profile."""
    viewer = _viewer(request)
    if viewer.player is None:
        raise Http404
    return viewer, viewer.player


def _page(request: HttpRequest, queryset: Any, sort: str, viewer: selectors.Viewer) -> dict:
    try:
        page = keyset_page(queryset, sort=sort, cursor=request.GET.get("cursor"), limit=PAGE_SIZE)
    except ApplicationError:
        page = keyset_page(queryset, sort=sort, cursor=None, limit=PAGE_SIZE)
    engagement_state = selectors.engagement_of(
        player=viewer.player, item_ids=[item.id for item in page.rows]
    )
    next_url = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        next_url = f"?{params.urlencode()}"
    items = [item_dict(item, viewer=viewer, engagement=engagement_state) for item in page.rows]
    return {"items": items, "next_url": next_url}


@require_GET
def index_page(request: HttpRequest) -> HttpResponse:
    titles = Title.objects.filter(is_active=True).order_by("name")
    return render(request, "ugc/index.html", {"titles": titles})


@require_GET
def gallery_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        title = selectors.title_get(slug=slug)
    except NotFound as error:
        raise Http404 from error
    viewer = _viewer(request)
    form = GalleryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ItemFilters(
        title=title, kind=data.get("kind", ""), tag=data.get("tag", "").casefold(),
        query=data.get("q", "").strip(), game_version=data.get("game_version", ""),
    )  # fmt: skip
    sort = data.get("sort") or "new"
    try:
        context = _page(request, selectors.items_list(viewer=viewer, filters=filters), sort, viewer)
    except ApplicationError as error:
        messages.error(request, error.message)
        context = {"items": [], "next_url": None}
    context.update({"title": title, "form": form, "sort": sort})
    return render(request, "ugc/gallery.html", context)


def _item_or_404(viewer: selectors.Viewer, item_id: int) -> Any:
    try:
        return selectors.item_get_visible(viewer=viewer, item_id=item_id)
    except UnknownItem as error:
        raise Http404 from error


@require_GET
def item_page(request: HttpRequest, item_id: int) -> HttpResponse:
    viewer = _viewer(request)
    item = _item_or_404(viewer, item_id)
    engagement_state = selectors.engagement_of(player=viewer.player, item_ids=[item.id])
    privileged = viewer.is_moderator or viewer.player_id == item.creator_id
    comments_of_item = selectors.comments_of_item(viewer=viewer, item=item)
    try:
        comments = keyset_page(
            comments_of_item, sort="oldest", cursor=request.GET.get("comments"), limit=50
        )
    except ApplicationError:  # a mangled cursor in the address: start from the top
        comments = keyset_page(comments_of_item, sort="oldest", cursor=None, limit=50)
    context = {
        "item": item_dict(item, viewer=viewer, engagement=engagement_state),
        "versions": [
            version_dict(v, with_review=privileged)
            for v in selectors.versions_for_viewer(viewer=viewer, item=item)
        ],
        "comments": [comment_thread_dict(c, viewer=viewer) for c in comments.rows],
        "comments_next": comments.next_cursor,
        "comment_form": CommentForm(),
        "is_creator": viewer.player_id == item.creator_id,
        "can_engage": viewer.player is not None and item.state == "published",
        "edit_form": EditForm(
            initial={
                "name": item.name,
                "description": item.description,
                "description_translations": item.description_translations,
                "tags": ", ".join(item.tags_text.split()),
                "visibility": item.visibility,
            }
        ),
        "version_form": VersionForm(),
    }
    return render(request, "ugc/item.html", context)


@require_POST
def engagement_toggle(request: HttpRequest, item_id: int, action: str) -> HttpResponse:
    viewer, player = _player_viewer(request)
    item = _item_or_404(viewer, item_id)
    on = request.POST.get("on") == "1"
    services: dict[str, Callable[[], Any]] = {
        "like": lambda: engagement.like_set(item=item, player=player, liked=on),
        "favourite": lambda: engagement.favourite_set(item=item, player=player, favourited=on),
        "subscribe": lambda: engagement.subscription_set(item=item, player=player, subscribed=on),
    }
    if action not in services:
        raise Http404
    _run(request, services[action], "")
    return redirect("ugc:item", item_id=item.id)


@require_POST
def comment_post(request: HttpRequest, item_id: int) -> HttpResponse:
    viewer, player = _player_viewer(request)
    item = _item_or_404(viewer, item_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        _run(request, lambda: comment_services.comment_create(
            item=item, author=player, body=form.cleaned_data["body"],
            parent_id=form.cleaned_data.get("parent_id"),
        ), _("Comment posted."))  # fmt: skip
    else:
        messages.error(request, _("Write a comment first."))
    return redirect(reverse("ugc:item", kwargs={"item_id": item.id}) + "#comments")


@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    viewer, player = _player_viewer(request)
    try:
        comment = selectors.comment_get_visible(viewer=viewer, comment_id=comment_id)
    except ApplicationError as error:
        raise Http404 from error
    _run(request, lambda: comment_services.comment_delete(comment=comment, author=player),
         _("Comment deleted."))  # fmt: skip
    return redirect(reverse("ugc:item", kwargs={"item_id": comment.item_id}) + "#comments")


@require_http_methods(["GET", "POST"])
def report_page(request: HttpRequest, kind: str, target_id: int) -> HttpResponse:
    _viewer, player = _player_viewer(request)
    if kind not in ("item", "comment"):
        raise Http404
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        submitted = _run(request, lambda: ugc_report_submit(
            reporter=player, kind=kind, target_id=target_id,
            reason=form.cleaned_data["reason"], details=form.cleaned_data["details"],
        ), _("Thank you. The moderators will look at it."))  # fmt: skip
        if submitted:
            return redirect("ugc:index")
    return render(request, "ugc/report.html", {"form": form, "kind": kind, "target_id": target_id})


def _upload_files(request: HttpRequest) -> tuple[Any, Any]:
    handler = request.upload_handlers[0]
    if isinstance(handler, UgcUploadHandler) and handler.is_too_large:
        from apps.ugc.exceptions import TooLarge

        raise TooLarge()
    return received_file(request.FILES.get("file")), received_file(request.FILES.get("preview"))


def _close(*files: Any) -> None:
    for received in files:
        if received is not None:
            received.file.close()


@csrf_exempt  # the upload handler must be set before CSRF reads the body; checked below
@require_http_methods(["GET", "POST"])
def upload_page(request: HttpRequest) -> HttpResponse:
    request.upload_handlers = [UgcUploadHandler(request)]
    return _upload_page(request)


@csrf_protect
def _upload_page(request: HttpRequest) -> HttpResponse:
    _viewer, player = _player_viewer(request)
    form = UploadForm(request.POST or None, initial={"title": request.GET.get("title")})
    if request.method == "GET" and request.GET.get("title"):
        try:
            chosen = selectors.title_get(slug=request.GET["title"])
        except UnknownTitle:
            chosen = None
        if chosen is not None:
            form.kinds_limit_to(selectors.title_allowed_kinds(title=chosen))
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        received = preview = None

        def create() -> Any:
            nonlocal received, preview
            received, preview = _upload_files(request)
            return item_services.item_create(
                creator=player, title=values["title"],
                data=ItemInput(
                    kind=values["kind"], name=values["name"], description=values["description"],
                    tags=values["tags"], visibility=values["visibility"],
                    link_url=values["link_url"],
                ),
                received=received, preview=preview, publish=values["publish"],
                version=VersionInput(values["changelog"], values["game_version_min"],
                                     values["game_version_max"]),
            )  # fmt: skip

        try:
            item = _run(request, create, _("Uploaded."))
        finally:
            _close(received, preview)
        if item:
            return redirect("ugc:item", item_id=item.id)
    return render(request, "ugc/upload.html", {"form": form})


@csrf_exempt
@require_POST
def version_upload(request: HttpRequest, item_id: int) -> HttpResponse:
    request.upload_handlers = [UgcUploadHandler(request)]
    return _version_upload(request, item_id)


@csrf_protect
def _version_upload(request: HttpRequest, item_id: int) -> HttpResponse:
    _viewer, player = _player_viewer(request)
    try:
        item = selectors.item_get_own(player=player, item_id=item_id)
    except UnknownItem as error:
        raise Http404 from error
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        values = form.cleaned_data
        received = preview = None

        def add() -> Any:
            nonlocal received, preview
            received, preview = _upload_files(request)
            return version_add(
                item=item, creator=player, received=received, preview=preview,
                data=VersionInput(values["changelog"], values["game_version_min"],
                                  values["game_version_max"]),
            )  # fmt: skip

        try:
            _run(request, add, _("New version uploaded."))
        finally:
            _close(received, preview)
    else:
        messages.error(request, _("Choose a file."))
    return redirect("ugc:item", item_id=item.id)


@require_POST
def item_manage(request: HttpRequest, item_id: int, action: str) -> HttpResponse:
    """The creator's edit / publish / delete buttons."""
    _viewer, player = _player_viewer(request)
    try:
        item = selectors.item_get_own(player=player, item_id=item_id)
    except UnknownItem as error:
        raise Http404 from error
    if action == "edit":
        form = EditForm(request.POST)
        if form.is_valid():
            data = {**form.cleaned_data, "tags": form.cleaned_data["tags"].split(",")}
            _run(request, lambda: item_services.item_update(item=item, creator=player, data=data),
                 _("Saved."))  # fmt: skip
    elif action == "publish":
        _run(request, lambda: item_services.item_publish(item=item, creator=player),
             _("Submitted."))  # fmt: skip
    elif action == "delete":
        if _run(
            request, lambda: item_services.item_delete(item=item, creator=player), _("Deleted.")
        ):
            return redirect("ugc:mine")
    else:
        raise Http404
    return redirect("ugc:item", item_id=item.id)


@require_GET
def mine_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    viewer, player = _player_viewer(request)
    items = selectors.items_of_creator_for_self(
        player=player,
        filters=selectors.ItemFilters(),
    )
    context = _page(request, items, "created", viewer)
    return render(request, "ugc/mine.html", context)


@require_GET
def creator_page(request: HttpRequest, player_id: int) -> HttpResponse:
    viewer = _viewer(request)
    try:
        creator, _level = player_get_visible(viewer=viewer.player, player_id=player_id)
    except NotFound as error:
        raise Http404 from error
    filters = selectors.ItemFilters(creator_id=creator.id)
    requested = request.GET.get("sort", "")
    sort = requested if requested in ("new", "top", "trending") else "new"
    context = _page(request, selectors.items_list(viewer=viewer, filters=filters), sort, viewer)
    context.update({"creator": creator, "sort": sort})
    return render(request, "ugc/creator.html", context)


@require_GET
def blob_serve(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    """A signed link to a file of the local ugc storage (Azure serves its own SAS links).
    Forged → 404; expired → 403; served with the signed type and disposition, never
    sniffed, never framed or scripted."""
    try:
        payload = blob_token_read(token)
    except BadSignature as error:
        raise Http404 from error
    except LinkExpired:
        return HttpResponse(_("This download link has expired."), status=403,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    try:
        source = blob_open(payload["n"])
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(source, content_type=payload["t"])
    response["Content-Disposition"] = payload["d"]
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=60"
    return response
