// councilbot console: keeps the queue, an escalation's page and the list of workflow runs up to
// date without reloading.
// Each live part names the address of its fresh HTML and, on an escalation's page, the
// escalation it shows. Changes come from one event stream per browser, shared by all its
// console pages: held by a shared worker (console-worker.js), or else by one page chosen with
// the Web Locks API that passes them on to the others; a browser with neither gives each page
// its own stream, closed while the page is hidden.
(function () {
  "use strict";

  if (!window.EventSource || !window.fetch) {
    return;
  }
  var STREAM = "/console/events";
  var status = document.getElementById("cb-queue-status");
  var announce = document.getElementById("cb-announce");
  var parts = Array.prototype.map.call(document.querySelectorAll("[data-live][data-fragment]"), follower);
  if (!parts.length) {
    return;
  }

  // One live part: fetched again after a change, never twice at once, and again after a fetch
  // if another change came while it ran (so no change is missed).
  function follower(container) {
    var fragment = container.getAttribute("data-fragment");
    var escalation = container.getAttribute("data-escalation");
    var ignored = container.getAttribute("data-ignore");
    // A list of workflow runs follows changes to runs; the queue's parts follow escalations.
    var followsRuns = container.hasAttribute("data-runs");
    var every = parseInt(container.getAttribute("data-every") || "0", 10);
    var running = false;
    var again = false;
    var timer = null;
    // A part that may change where the event stream cannot see (runs worked by a `workflow run`
    // on the command line) is also fetched again now and then while its page is shown.
    if (every > 0) {
      window.setInterval(function () {
        if (!document.hidden) {
          schedule();
        }
      }, every * 1000);
    }

    function fetchNow() {
      running = true;
      again = false;
      fetch(fragment, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null) {
            show(html);
          }
        })
        .catch(function () {})
        .then(function () {
          running = false;
          if (again) {
            schedule();
          }
        });
    }

    function show(html) {
      var fresh = document.createElement("template");
      fresh.innerHTML = html;
      if (fresh.innerHTML === container.innerHTML) {
        return;
      }
      // What is new and marked to be announced (such as the resident leaving) is read out once.
      var news = Array.prototype.filter.call(fresh.content.querySelectorAll("[data-announce]"), function (item) {
        var name = item.getAttribute("data-announce");
        return !container.querySelector("[data-announce=\"" + name + "\"]");
      });
      var focused = document.activeElement && container.contains(document.activeElement) ?
        document.activeElement.getAttribute("href") : null;
      container.innerHTML = fresh.innerHTML;
      if (announce && news.length) {
        announce.textContent = news.map(function (item) { return item.textContent.trim(); }).join(" ");
      }
      if (focused) {
        var back = container.querySelector("[href=\"" + focused + "\"]");
        if (back) {
          back.focus();
        }
      }
      if (status) {
        var updated = status.getAttribute("data-updated") || "Updated at {time}.";
        status.textContent = updated.replace("{time}", new Date().toLocaleTimeString("en-GB"));
      }
    }

    function schedule() {
      if (running) {
        again = true;
        return;
      }
      if (timer === null) {
        timer = window.setTimeout(function () {
          timer = null;
          fetchNow();
        }, 100);
      }
    }

    return function (change) {
      if (change && Boolean(change.runs) !== followsRuns) {
        return;
      }
      if (change && escalation && change.escalation && change.escalation !== escalation) {
        return;
      }
      if (change && ignored && change.change === ignored) {
        return;
      }
      schedule();
    };
  }

  // What the stream said: `open` (refresh everything: something may have been missed), or a
  // change naming an escalation and what happened to it.
  function told(message) {
    var change = null;
    if (message.type === "change") {
      try {
        change = JSON.parse(message.data);
      } catch (ignore) {
        change = null;
      }
      if (change && !change.escalation && !change.runs) {
        change = null;
      }
    } else if (message.type !== "open") {
      return;
    }
    parts.forEach(function (refresh) { refresh(change); });
  }

  function stream(onMessage) {
    var source = new EventSource(STREAM);
    source.addEventListener("open", function () { onMessage({ type: "open" }); });
    source.addEventListener("change", function (event) { onMessage({ type: "change", data: event.data }); });
    return source;
  }

  function shared() {
    var worker;
    try {
      worker = new SharedWorker("/assets/console-worker.js", { name: "councilbot-console" });
    } catch (ignore) {
      return false;
    }
    worker.addEventListener("error", function () {
      // The worker could not start (a policy or an old browser): share the stream another way.
      fallBack();
    });
    worker.port.addEventListener("message", function (event) { told(event.data); });
    worker.port.start();
    window.addEventListener("pagehide", function () { worker.port.postMessage("leave"); });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        worker.port.postMessage("join");
      }
    });
    return true;
  }

  function elected() {
    if (!window.BroadcastChannel || !navigator.locks || !navigator.locks.request) {
      return false;
    }
    var channel = new BroadcastChannel("councilbot-console");
    channel.addEventListener("message", function (event) { told(event.data); });
    // The page holding the lock holds the stream for all, until it goes; then another takes it.
    navigator.locks.request("councilbot-console-stream", function () {
      return new Promise(function () {
        stream(function (message) {
          told(message);
          channel.postMessage(message);
        });
      });
    });
    // The stream may have been open before this page was: catch up with it once.
    told({ type: "open" });
    return true;
  }

  function ownStream() {
    var source = null;
    function visibility() {
      if (document.hidden) {
        if (source) {
          source.close();
          source = null;
        }
      } else if (!source) {
        source = stream(told);
      }
    }
    document.addEventListener("visibilitychange", visibility);
    visibility();
  }

  var fellBack = false;
  function fallBack() {
    if (!fellBack) {
      fellBack = true;
      if (!elected()) {
        ownStream();
      }
    }
  }

  if (!(window.SharedWorker && shared())) {
    fallBack();
  }
})();
