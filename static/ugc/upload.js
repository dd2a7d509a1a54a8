// The upload form with a progress bar: the same fields are posted to the REST API
// (POST /api/v1/ugc/titles/<slug>/items) with XMLHttpRequest, whose upload events report
// progress. Without this script the form posts to the portal page and works the same.
(function () {
  "use strict";
  var form = document.getElementById("ugc-upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var progress = document.getElementById("ugc-upload-progress");
  var status = document.getElementById("ugc-upload-status");
  var submit = document.getElementById("ugc-upload-submit");

  function say(text) { status.textContent = text; }

  form.addEventListener("submit", function (event) {
    var title = form.elements.title.value;
    if (!title) { return; }  // let the portal page report the missing field
    event.preventDefault();
    var data = new FormData(form);
    data.delete("title");
    if (!form.elements.publish.checked) { data.set("publish", "false"); } else { data.set("publish", "true"); }
    ["file", "preview"].forEach(function (name) {
      var input = form.elements[name];
      if (input && input.files.length === 0) { data.delete(name); }
    });
    var request = new XMLHttpRequest();
    request.open("POST", form.dataset.apiTemplate.replace("__title__", encodeURIComponent(title)));
    request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
    request.setRequestHeader("Accept", "application/json");
    progress.hidden = false;
    progress.value = 0;
    submit.disabled = true;
    say(gettext("Uploading…"));
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { progress.value = Math.round((e.loaded / e.total) * 100); }
    });
    request.upload.addEventListener("load", function () {
      progress.value = 100;
      say(gettext("Checking the file…"));
    });
    request.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
      if (request.status === 201 && body && body.id) {
        window.location.assign(form.dataset.itemTemplate.replace("/0/", "/" + body.id + "/"));
        return;
      }
      submit.disabled = false;
      var message = body && body.error ? body.error.message + " (" + body.error.code + ")" : gettext("The upload failed.");
      say(message);
    });
    request.addEventListener("error", function () {
      submit.disabled = false;
      say(gettext("The upload failed."));
    });
    request.send(data);
  });
})();
