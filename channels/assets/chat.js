// councilbot chat: makes the chat page (and the widget's frame) live. Without this script the
// page still works by ordinary form posts; with it, replies stream in as they are written, the
// conversation survives reloads and dropped connections, and finished messages are announced
// once to screen readers. In the widget's frame only the conversation scrolls: the message box
// stays on screen.
(function () {
  "use strict";

  var root = document.getElementById("cb-chat");
  if (!root || !window.fetch || !window.EventSource) {
    return;
  }
  var embedded = root.getAttribute("data-embedded") === "true";
  var phone = root.getAttribute("data-phone") || "";
  var language = root.getAttribute("data-language") || "en";
  // The words to show, in the page's language, given by the page itself.
  var words = {};
  try {
    words = JSON.parse((document.getElementById("cb-words") || {}).textContent || "{}");
  } catch (error) {
    words = {};
  }
  function fill(text, values) {
    return String(text || "").replace(/\{([a-z_]+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }
  var transcript = document.getElementById("cb-transcript");
  var announcer = document.getElementById("cb-announcer");
  var progress = document.getElementById("cb-progress");
  var form = document.getElementById("cb-form");
  var input = document.getElementById("cb-input");
  var download = document.getElementById("cb-download");
  var endForm = document.getElementById("cb-end-form");
  var about = document.getElementById("cb-about");
  // Served under /councils/{id}/ (a council of a shared deployment reached by its id), every
  // request stays under that path, and the conversation is remembered for that council alone.
  var prefix = (window.location.pathname.match(/^\/councils\/[a-z0-9-]+(?=\/)/) || [""])[0];
  var storageKey = "councilbot.conversation" + prefix;

  var conversation = embedded ? read(storageKey) : root.getAttribute("data-conversation") || "";
  var seen = {};
  var lastId = 0;
  var events = null;
  var draft = null;
  var aboutFolded = false;

  function read(key) {
    try {
      return window.sessionStorage.getItem(key) || "";
    } catch (error) {
      return "";
    }
  }

  function write(key, value) {
    try {
      if (value) {
        window.sessionStorage.setItem(key, value);
      } else {
        window.sessionStorage.removeItem(key);
      }
    } catch (error) {
      // Storage may be refused (private browsing): the conversation then lasts as long as the page.
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function announce(text) {
    if (!announcer) {
      return;
    }
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  // Choices that no longer apply (answered, or overtaken by what the person wrote) are disabled.
  function settle(scope) {
    // A vote on an answer can still be changed.
    Array.prototype.forEach.call(scope.querySelectorAll("button:not(.cb-feedback__button)"), function (button) {
      button.disabled = true;
    });
  }

  // What the chat is stays one line once the conversation has begun; it can be opened again.
  function foldAbout() {
    if (about && !aboutFolded) {
      aboutFolded = true;
      about.open = false;
    }
  }

  function choiceButtons(message, holder) {
    var group = element("div", "govuk-button-group cb-choices-live");
    (message.choices || []).forEach(function (choice) {
      var button = element("button", "govuk-button govuk-button--secondary", choice.label);
      button.type = "button";
      button.addEventListener("click", function () {
        settle(group);
        // The pressed button is now disabled: focus goes on to the message box rather than
        // being lost, and the next question's choices are just before it (Shift+Tab).
        input.focus();
        var switching = { cymraeg: "cy", english: "en" }[choice.value];
        send({ choice: choice.value }).then(function () {
          // Carrying on in the other language shows the chat itself in it too.
          if (switching && switching !== language) {
            window.location.href = "?language=" + switching;
          }
        });
      });
      group.appendChild(button);
    });
    holder.appendChild(group);
  }

  // A message as it is shown; only one arriving live fades in (a conversation read again on
  // opening the chat is simply there).
  function render(message, live) {
    var item = element("li", live ? "cb-message cb-message--new" : "cb-message");
    item.setAttribute("data-id", String(message.id));
    var kind = message.kind;
    if (kind === "user") {
      item.className += " cb-message--user";
      item.appendChild(element("span", "govuk-visually-hidden", words.you_said + " "));
      item.appendChild(element("p", "govuk-body cb-bubble", message.text));
    } else if (kind === "agent") {
      item.className += " cb-message--agent";
      item.appendChild(element("p", "govuk-body-s cb-who", fill(words.staff, { name: message.name })));
      item.appendChild(element("p", "govuk-body cb-bubble", message.text));
    } else if (kind === "staff") {
      item.className += " cb-message--notice";
      item.appendChild(element("p", "govuk-body-s cb-notice", message.text));
    } else if (kind === "emergency") {
      item.className += " cb-message--bot";
      var warning = element("div", "govuk-warning-text cb-emergency");
      var icon = element("span", "govuk-warning-text__icon", "!");
      icon.setAttribute("aria-hidden", "true");
      warning.appendChild(icon);
      var warningText = element("div", "govuk-warning-text__text");
      warningText.appendChild(element("span", "govuk-visually-hidden", words.warning));
      warningText.appendChild(document.createTextNode(message.text));
      warning.appendChild(warningText);
      item.appendChild(warning);
      var contacts = element("ul", "govuk-list cb-contacts");
      (message.contacts || []).forEach(function (contact) {
        var line = element("li");
        var strong = element("strong", null, contact.name + ": ");
        var link = element("a", "govuk-link", contact.phone);
        link.href = "tel:" + contact.phone.replace(/\s+/g, "");
        strong.appendChild(link);
        line.appendChild(strong);
        line.appendChild(document.createTextNode(" – " + contact.when));
        contacts.appendChild(line);
      });
      item.appendChild(contacts);
    } else if (kind === "handoff") {
      item.className += " cb-message--bot";
      item.appendChild(element("div", "govuk-inset-text cb-handoff", message.text));
    } else if (kind === "workflow_status") {
      item.className += " cb-message--bot";
      var box = element("div", "govuk-inset-text cb-status");
      var line = element("p", "govuk-body");
      var tagColour = message.status === "succeeded" ? " govuk-tag--green" :
        (message.status === "queued" || message.status === "running" ? " govuk-tag--blue" : " govuk-tag--orange");
      line.appendChild(element("strong", "govuk-tag" + tagColour, statusName(message.status)));
      line.appendChild(document.createTextNode(" " + fill(words.reference, { reference: message.reference })));
      box.appendChild(line);
      box.appendChild(element("p", "govuk-body", message.text));
      item.appendChild(box);
    } else {
      item.className += " cb-message--bot";
      item.appendChild(element("p", "govuk-body cb-bubble", message.text));
      if (kind === "confirm") {
        var summary = element("dl", "govuk-summary-list cb-summary");
        (message.summary || []).forEach(function (entry) {
          var row = element("div", "govuk-summary-list__row");
          row.appendChild(element("dt", "govuk-summary-list__key", entry.label));
          row.appendChild(element("dd", "govuk-summary-list__value", entry.value));
          summary.appendChild(row);
        });
        item.appendChild(summary);
      }
      if (kind === "choices" || kind === "confirm") {
        choiceButtons(message, item);
      }
      if (message.citations && message.citations.length) {
        var sources = element("p", "govuk-body-s cb-sources", (message.citations.length > 1 ? words.sources : words.source) + " ");
        message.citations.forEach(function (citation, index) {
          if (index > 0) {
            sources.appendChild(document.createTextNode(", "));
          }
          var link = element("a", "govuk-link", "[" + (index + 1) + "] " + citation.title);
          link.href = citation.url;
          link.target = "_blank";
          link.rel = "noopener";
          sources.appendChild(link);
        });
        item.appendChild(sources);
        if (message.role === "bot") {
          item.appendChild(feedback(message));
        }
      }
    }
    return item;
  }

  function spoken(message) {
    var said = message.text || "";
    if (message.kind === "agent") {
      return fill(words.says, { name: message.name }) + " " + said;
    }
    if (message.kind === "emergency") {
      return said + " " + (message.contacts || []).map(function (contact) {
        return contact.name + " " + contact.phone;
      }).join(", ");
    }
    if (message.kind === "choices" || message.kind === "confirm") {
      return said + " " + words.choices + " " + (message.choices || []).map(function (choice) { return choice.label; }).join(", ");
    }
    return said;
  }

  // A run's status in the page's language.
  function statusName(status) {
    return words["status_" + status] || String(status).replace(/_/g, " ");
  }

  // The language switch: in a conversation, the choice is said in it first, so that it is
  // recorded with the conversation and the assistant carries on in the language chosen.
  Array.prototype.forEach.call(document.querySelectorAll(".cb-languages__link"), function (link) {
    link.addEventListener("click", function (event) {
      if (!conversation) {
        return;
      }
      event.preventDefault();
      var choice = link.getAttribute("data-language") === "cy" ? "cymraeg" : "english";
      fetch(prefix + "/api/v1/conversations/" + encodeURIComponent(conversation) + "/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ choice: choice }),
      }).catch(function () { return null; }).then(function () {
        window.location.href = link.href;
      });
    });
  });

  function show(message, live) {
    if (!message || seen[message.id]) {
      return;
    }
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    if (draft && message.role !== "user") {
      draft.parentNode.removeChild(draft);
      draft = null;
    }
    var following = nearEnd();
    if (message.role === "user") {
      settle(transcript);
    }
    transcript.appendChild(render(message, live));
    foldAbout();
    if (progress && message.kind === "workflow_status" && message.status !== "queued" && message.status !== "running") {
      progress.hidden = true;
    }
    if (live && message.role !== "user") {
      announce(spoken(message));
    }
    if (following || message.role === "user") {
      reveal(transcript.lastChild);
    } else if (live) {
      cue.hidden = false;
    }
  }

  // Whether the conversation scrolls by itself (in the widget's frame) rather than with the page.
  function scrolls() {
    var overflow = window.getComputedStyle(transcript).overflowY;
    return overflow === "auto" || overflow === "scroll";
  }

  // Brings a message into view: its end if it fits, otherwise its beginning.
  function reveal(item) {
    if (!item) {
      return;
    }
    if (!scrolls()) {
      item.scrollIntoView({ block: "nearest" });
      return;
    }
    var box = transcript.getBoundingClientRect();
    var shown = item.getBoundingClientRect();
    if (shown.bottom > box.bottom) {
      transcript.scrollTop += Math.min(shown.bottom - box.bottom, shown.top - box.top);
    } else if (shown.top < box.top) {
      transcript.scrollTop -= box.top - shown.top;
    }
  }

  // Someone reading earlier messages is not moved: a button says there are new ones.
  var cue = element("button", "govuk-button govuk-button--secondary cb-new-messages", words.new_messages);
  cue.type = "button";
  cue.hidden = true;
  cue.addEventListener("click", function () {
    cue.hidden = true;
    reveal(transcript.lastChild);
    input.focus();
  });
  transcript.parentNode.insertBefore(cue, transcript.nextSibling);
  function seenEnd() {
    if (nearEnd()) {
      cue.hidden = true;
    }
  }
  window.addEventListener("scroll", seenEnd);
  transcript.addEventListener("scroll", seenEnd);

  // Whether the latest message is on screen: the person is following the conversation.
  function nearEnd() {
    var last = transcript.lastElementChild;
    var bottom = scrolls() ? transcript.getBoundingClientRect().bottom : window.innerHeight;
    return !last || last.getBoundingClientRect().top < bottom;
  }

  function showDelta(text) {
    var following = nearEnd();
    if (!draft) {
      draft = element("li", "cb-message cb-message--bot cb-message--draft");
      draft.setAttribute("aria-hidden", "true");
      draft.appendChild(element("p", "govuk-body cb-bubble", ""));
      transcript.appendChild(draft);
    }
    draft.firstChild.textContent += text;
    if (following) {
      reveal(draft);
    }
  }

  function problem(text) {
    var old = document.getElementById("cb-problem");
    if (old) {
      old.parentNode.removeChild(old);
    }
    if (!text) {
      return;
    }
    var note = element("p", "govuk-error-message", text);
    note.id = "cb-problem";
    note.setAttribute("role", "alert");
    form.insertBefore(note, form.firstChild);
  }

  function links() {
    if (download && conversation) {
      download.href = prefix + "/api/v1/conversations/" + encodeURIComponent(conversation) + "/transcript.txt";
    }
  }

  function listen() {
    if (events) {
      events.close();
    }
    if (!conversation) {
      return;
    }
    events = new EventSource(prefix + "/api/v1/conversations/" + encodeURIComponent(conversation) + "/events?after=" + lastId);
    events.addEventListener("message", function (event) {
      try {
        show(JSON.parse(event.data), true);
      } catch (error) {
        // A malformed event is skipped; the transcript catches up on the next message.
      }
    });
    events.addEventListener("progress", function (event) {
      try {
        var step = JSON.parse(event.data);
        if (progress) {
          progress.textContent = fill(words.working_on, { reference: step.reference, step: step.step });
          progress.hidden = false;
        }
      } catch (error) {
        // Progress is only a courtesy; a malformed event is skipped.
      }
    });
    events.addEventListener("delta", function (event) {
      try {
        showDelta(JSON.parse(event.data).text);
      } catch (error) {
        // Skipped, as above.
      }
    });
  }

  function load() {
    Array.prototype.forEach.call(transcript.querySelectorAll("[data-id]"), function (item) {
      var id = parseInt(item.getAttribute("data-id"), 10);
      if (id) {
        seen[id] = true;
        lastId = Math.max(lastId, id);
      }
    });
    if (!conversation) {
      return Promise.resolve();
    }
    return fetch(prefix + "/api/v1/conversations/" + encodeURIComponent(conversation), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) {
          conversation = "";
          write(storageKey, "");
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body && body.status === "ended") {
          conversation = "";
          write(storageKey, "");
          return;
        }
        if (body) {
          body.messages.forEach(function (message) { show(message, false); });
        }
        links();
        listen();
      })
      .catch(function () {
        listen();
      });
  }

  function start() {
    if (conversation) {
      return Promise.resolve(conversation);
    }
    return fetch(prefix + "/api/v1/conversations", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ language: language }),
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("start");
        }
        return response.json();
      })
      .then(function (body) {
        conversation = body.id;
        if (embedded) {
          write(storageKey, conversation);
        }
        links();
        listen();
        return conversation;
      });
  }

  function send(body) {
    problem("");
    return start()
      .then(function (id) {
        return fetch(prefix + "/api/v1/conversations/" + encodeURIComponent(id) + "/messages", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        });
      })
      .then(function (response) {
        return response.json().then(function (reply) {
          if (!response.ok) {
            throw new Error(reply && reply.error ? reply.error.message : "send");
          }
          return reply;
        });
      })
      .then(function (reply) {
        // The stream usually shows these first; anything it has not shown yet is shown now.
        return fetch(prefix + "/api/v1/conversations/" + encodeURIComponent(conversation), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { messages: [] }; })
          .then(function (whole) {
            whole.messages.forEach(function (message) { show(message, true); });
            return reply;
          });
      })
      .catch(function (error) {
        problem(words.not_sent + (error && error.message && error.message !== "send" && error.message !== "start" ?
          ": " + error.message : ". " + fill(words.try_again, { phone: phone })));
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      problem(words.type_first);
      input.focus();
      return;
    }
    input.value = "";
    send({ text: text });
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll(".cb-person"), function (personForm) {
    personForm.addEventListener("submit", function (event) {
      event.preventDefault();
      send({ choice: "person" });
    });
  });

  if (endForm) {
    endForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var ending = conversation ?
        fetch(prefix + "/api/v1/conversations/" + encodeURIComponent(conversation), { method: "DELETE" }) : Promise.resolve();
      ending.then(function () {
        if (!embedded) {
          return fetch(prefix + "/chat/end", { method: "POST", body: new URLSearchParams(new FormData(endForm)) });
        }
        return null;
      }).finally(function () {
        if (events) {
          events.close();
          events = null;
        }
        conversation = "";
        write(storageKey, "");
        seen = {};
        lastId = 0;
        while (transcript.firstChild) {
          transcript.removeChild(transcript.firstChild);
        }
        var ended = element("li", "cb-message cb-message--notice");
        ended.appendChild(element("p", "govuk-body-s cb-notice",
          words.ended));
        transcript.appendChild(ended);
        announce(words.ended_short);
        input.focus();
      });
    });
  }

  if (embedded) {
    var close = document.getElementById("cb-close");
    var closeWidget = function () {
      window.parent.postMessage({ type: "councilbot:close" }, "*");
    };
    if (close) {
      close.addEventListener("click", closeWidget);
    }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        closeWidget();
      }
    });
    window.addEventListener("message", function (event) {
      if (event.data && event.data.type === "councilbot:open") {
        input.focus();
      }
    });
  }

  // Whether an answer helped: two toggle buttons under each answer, one vote per answer that can
  // be changed, sent to the API with a short thank-you announced. The chat page's own feedback
  // forms (which work without this script) are sent the same way.
  function feedback(message) {
    var box = element("div", "cb-feedback");
    box.setAttribute("data-answer", String(message.id));
    var question = element("p", "govuk-body-s cb-feedback__question", words.helped);
    question.id = "cb-feedback-question-" + message.id;
    box.appendChild(question);
    var group = element("div", "cb-feedback__buttons");
    group.setAttribute("role", "group");
    group.setAttribute("aria-labelledby", question.id);
    [[true, "\uD83D\uDC4D", words.helped_yes], [false, "\uD83D\uDC4E", words.helped_no]]
      .forEach(function (option) {
        var button = element("button", "govuk-button govuk-button--secondary cb-feedback__button");
        button.type = "button";
        button.value = option[0] ? "yes" : "no";
        button.setAttribute("aria-pressed", message.helpful === option[0] ? "true" : "false");
        var icon = element("span", null, option[1]);
        icon.setAttribute("aria-hidden", "true");
        button.appendChild(icon);
        button.appendChild(element("span", "govuk-visually-hidden", option[2]));
        button.addEventListener("click", function () {
          vote(box, message.id, option[0]);
        });
        group.appendChild(button);
      });
    box.appendChild(group);
    box.appendChild(element("p", "govuk-body-s cb-feedback__thanks",
      message.helpful === true || message.helpful === false ? words.thanks : ""));
    return box;
  }

  function vote(box, id, helpful) {
    var thanks = box.querySelector(".cb-feedback__thanks");
    if (!conversation) {
      return;
    }
    fetch(prefix + "/api/v1/conversations/" + encodeURIComponent(conversation) + "/messages/" + encodeURIComponent(id) + "/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ helpful: helpful }),
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("feedback");
        }
        Array.prototype.forEach.call(box.querySelectorAll(".cb-feedback__button"), function (button) {
          button.setAttribute("aria-pressed", (button.value === "yes") === helpful ? "true" : "false");
        });
        if (thanks) {
          thanks.textContent = words.thanks;
        }
        announce(words.thanks);
      })
      .catch(function () {
        if (thanks) {
          thanks.textContent = words.feedback_failed;
        }
        announce(words.feedback_failed);
      });
  }

  transcript.addEventListener("submit", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("cb-feedback") || !event.submitter) {
      return;
    }
    event.preventDefault();
    vote(box, box.getAttribute("data-answer"), event.submitter.value === "yes");
  });

  load();
})();
