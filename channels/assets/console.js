// councilbot console: keeps the queue and an escalation's transcript up to date without
// reloading. Each part names its event stream and the address of its fresh HTML.
(function () {
  "use strict";

  if (!window.EventSource || !window.fetch) {
    return;
  }
  var status = document.getElementById("cb-queue-status");

  function follow(container) {
    var live = container.getAttribute("data-live");
    var fragment = container.getAttribute("data-fragment");
    if (!live || !fragment) {
      return;
    }
    var pending = false;
    function refresh() {
      if (pending) {
        return;
      }
      pending = true;
      window.setTimeout(function () {
        fetch(fragment, { headers: { Accept: "text/html" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) {
            pending = false;
            if (html === null) {
              return;
            }
            var focused = document.activeElement && container.contains(document.activeElement) ?
              document.activeElement.getAttribute("href") : null;
            container.innerHTML = html;
            if (focused) {
              var again = container.querySelector("[href=\"" + focused + "\"]");
              if (again) {
                again.focus();
              }
            }
            if (status) {
              status.textContent = "Updated at " + new Date().toLocaleTimeString("en-GB") + ".";
            }
          })
          .catch(function () { pending = false; });
      }, 150);
    }
    var events = new EventSource(live);
    events.addEventListener("change", refresh);
    events.addEventListener("message", refresh);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), follow);
})();
