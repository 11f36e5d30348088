// councilbot console: the one event stream a browser keeps for all its console pages (a shared
// worker). Browsers open at most six connections to a server over HTTP/1.1; a stream for each
// page would use them up, and further pages would never load. Each page connects here and is
// told every change; the stream is closed a little after the last page goes.
"use strict";

var STREAM = "/console/events";
var ports = [];
var source = null;
var opened = false;
var closing = null;
var retrying = null;

function tell(message) {
  ports.forEach(function (port) {
    port.postMessage(message);
  });
}

function open() {
  if (closing) {
    clearTimeout(closing);
    closing = null;
  }
  if (source || !ports.length) {
    return;
  }
  opened = false;
  source = new EventSource(STREAM);
  source.addEventListener("open", function () {
    opened = true;
    // Whatever happened while the stream was away: every page catches up.
    tell({ type: "open" });
  });
  source.addEventListener("change", function (event) {
    tell({ type: "change", data: event.data });
  });
  source.addEventListener("error", function () {
    opened = false;
    if (source && source.readyState === EventSource.CLOSED) {
      // Refused (signed out, or the server away): try again a while later.
      source = null;
      if (!retrying) {
        retrying = setTimeout(function () {
          retrying = null;
          open();
        }, 10000);
      }
    }
  });
}

function leave(port) {
  ports = ports.filter(function (kept) {
    return kept !== port;
  });
  if (!ports.length && !closing) {
    // A page going to another console page comes back at once: keep the stream a moment.
    closing = setTimeout(function () {
      closing = null;
      if (!ports.length && source) {
        source.close();
        source = null;
      }
    }, 5000);
  }
}

self.addEventListener("connect", function (event) {
  var port = event.ports[0];
  ports.push(port);
  port.addEventListener("message", function (message) {
    if (message.data === "leave") {
      leave(port);
    } else if (message.data === "join" && ports.indexOf(port) < 0) {
      // Back from the browser's cache of pages.
      ports.push(port);
      open();
      port.postMessage({ type: "open" });
    }
  });
  port.start();
  open();
  if (opened) {
    port.postMessage({ type: "open" });
  }
});
