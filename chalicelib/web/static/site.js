/* The public pages' script. Nothing depends on it: every form works as a plain post.
   With it: focus moves to the error summary; fields are checked as the server checks
   them (required, length, format) when left and when the form is sent; a form is sent
   once, with a key the page makes; the tracking code gets a copy button.
   It runs under the pages' Content-Security-Policy: no inline code, no eval. */
(function () {
  "use strict";

  var persian = document.documentElement.lang === "fa";
  var DASHES = /[\s\-\u2010-\u2015\u2212\u200b-\u200f\u2060\ufeff]/g;

  function localDigits(text) {
    return persian ? String(text).replace(/[0-9]/g, function (d) {
      return String.fromCharCode(0x06f0 + Number(d));
    }) : String(text);
  }

  function asciiDigits(text) {
    return text.replace(/[\u06f0-\u06f9\u0660-\u0669]/g, function (c) {
      var code = c.charCodeAt(0);
      return String(code - (code >= 0x06f0 ? 0x06f0 : 0x0660));
    });
  }

  var FORMATS = {
    email: function (value) {
      return /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(value);
    },
    last4: function (value) {
      return /^[0-9]{4}$/.test(asciiDigits(value).replace(/\s/g, ""));
    },
    code: function (value) {
      var symbols = asciiDigits(value).replace(DASHES, "");
      return /^[0-9A-TV-Za-tv-z\u0130\u0131]{14}$/.test(symbols);
    }
  };

  function problemOf(control) {
    var data = control.dataset;
    var value = control.value.trim();
    var length = Array.from(value).length;
    if (!value) {
      return control.required ? data.errorRequired : null;
    }
    if (data.min && length < Number(data.min)) {
      return data.errorMin;
    }
    if (data.max && length > Number(data.max)) {
      return data.errorMax;
    }
    if (data.format && FORMATS[data.format] && !FORMATS[data.format](value)) {
      return data.errorFormat;
    }
    return null;
  }

  function groupProblem(fieldset) {
    return fieldset.querySelector("input:checked") ? null : fieldset.dataset.required;
  }

  function describe(element, id, on) {
    var ids = (element.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
      return x && x !== id;
    });
    if (on) {
      ids.push(id);
    }
    if (ids.length) {
      element.setAttribute("aria-describedby", ids.join(" "));
    } else {
      element.removeAttribute("aria-describedby");
    }
  }

  /* Show or clear one field's message, in the same markup the server writes. */
  function mark(form, target, message) {
    var field = target.closest(".field");
    var errorId = target.id + "-error";
    var error = document.getElementById(errorId);
    if (field) {
      field.classList.toggle("field--error", Boolean(message));
    }
    describe(target, errorId, Boolean(message));
    if (target.tagName !== "FIELDSET") {
      if (message) {
        target.setAttribute("aria-invalid", "true");
      } else {
        target.removeAttribute("aria-invalid");
      }
    }
    if (!message) {
      if (error) {
        error.remove();
      }
      return;
    }
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.id = errorId;
      var anchor = target.tagName === "FIELDSET" ? target.querySelector(".choices") : target;
      anchor.parentNode.insertBefore(error, anchor);
    }
    error.textContent = "";
    var prefix = document.createElement("strong");
    prefix.textContent = form.dataset.errorPrefix;
    error.appendChild(prefix);
    error.appendChild(document.createTextNode(" " + message));
  }

  function checkControl(form, control) {
    var message = problemOf(control);
    mark(form, control, message);
    return message;
  }

  function checkGroup(form, fieldset) {
    var message = groupProblem(fieldset);
    mark(form, fieldset, message);
    return message;
  }

  function checkAll(form) {
    var problems = [];
    form.querySelectorAll("fieldset[data-required], input[data-error-required], input[data-min], input[data-max], input[data-format], textarea").forEach(function (target) {
      var message = target.tagName === "FIELDSET" ? checkGroup(form, target) : checkControl(form, target);
      if (message) {
        problems.push({ id: target.id, message: message });
      }
    });
    return problems;
  }

  function summarise(form, problems) {
    var summary = document.getElementById("error-summary");
    var list = document.getElementById("error-summary-list");
    if (!summary || !list) {
      return;
    }
    list.textContent = "";
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + problem.id;
      link.textContent = problem.message;
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.hidden = false;
    var pattern = problems.length === 1 ? form.dataset.titleOne : form.dataset.titleOther;
    document.title = pattern.replace("{count}", localDigits(problems.length));
    summary.focus();
  }

  function sending(form, on) {
    var button = form.querySelector("button[type=submit]");
    if (on) {
      form.dataset.sent = "true";
    } else {
      delete form.dataset.sent;
    }
    if (!button) {
      return;
    }
    if (on) {
      button.dataset.label = button.textContent;
      button.textContent = form.dataset.sending;
      button.setAttribute("aria-disabled", "true");
    } else if (button.dataset.label) {
      button.textContent = button.dataset.label;
      button.removeAttribute("aria-disabled");
    }
  }

  function watch(form) {
    var key = form.querySelector("input[data-idempotency-key]");
    if (key && window.crypto && typeof window.crypto.randomUUID === "function") {
      key.value = window.crypto.randomUUID();
    }
    form.addEventListener("input", function (event) {
      event.target.dataset.touched = "true";
    });
    form.addEventListener("focusout", function (event) {
      var target = event.target;
      var shown = target.getAttribute("aria-invalid") === "true";
      var next = event.relatedTarget;
      /* Left for the send button: sending checks every field. A message shown now would
         push the button from under the pointer, and the click would be lost. */
      if (pressing || (next && next.form === form && next.type === "submit")) {
        return;
      }
      if ((target.dataset.touched || shown) && (target.matches("input, textarea")) && target.type !== "radio") {
        checkControl(form, target);
      }
    });
    form.addEventListener("change", function (event) {
      var group = event.target.closest("fieldset[data-required]");
      if (group && document.getElementById(group.id + "-error")) {
        checkGroup(form, group);
      }
    });
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      var problems = checkAll(form);
      if (problems.length) {
        event.preventDefault();
        summarise(form, problems);
        return;
      }
      sending(form, true);
    });
  }

  function copyButton(button) {
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById("copy-status");
    if (!source || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        status.textContent = button.dataset.copied;
      }, function () {
        status.textContent = button.dataset.copyFailed;
      });
    });
  }

  /* A press on a send button, noted before the field it leaves loses the focus
     (Safari does not focus a button that is clicked or tapped); over at its click. */
  var pressing = false;
  document.addEventListener("pointerdown", function (event) {
    pressing = Boolean(event.target.closest && event.target.closest("button[type=submit]"));
  }, true);
  ["click", "keydown"].forEach(function (type) {
    document.addEventListener(type, function () {
      pressing = false;
    }, true);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary && !summary.hidden) {
      summary.focus();
    }
    document.querySelectorAll("form[data-validate]").forEach(watch);
    document.querySelectorAll("button[data-copy]").forEach(copyButton);
  });

  /* A page restored from the browser's history may be sent again. */
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-sent]").forEach(function (form) {
        sending(form, false);
      });
    }
  });
})();
