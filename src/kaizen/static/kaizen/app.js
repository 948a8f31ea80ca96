// Kaizen ITSM: keyboard shortcuts and small behaviours. No inline scripts (CSP forbids them).
(function () {
  "use strict";

  var pendingGo = false;
  var goTimer = null;

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function help() {
    return document.getElementById("shortcuts");
  }

  function openHelp() {
    var dialog = help();
    if (dialog && !dialog.open) dialog.showModal();
  }

  function follow(selector) {
    var el = document.querySelector(selector);
    if (el) {
      el.click();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var dialog = help();
    if (event.key === "Escape") {
      if (dialog && dialog.open) {
        dialog.close();
      } else if (typing(document.activeElement)) {
        document.activeElement.blur();
      }
      return;
    }
    if (typing(event.target) || (dialog && dialog.open)) return;
    if (pendingGo) {
      pendingGo = false;
      clearTimeout(goTimer);
      var target = document.querySelector('[data-goto="' + CSS.escape(event.key) + '"]');
      if (target) {
        event.preventDefault();
        target.click();
      }
      return;
    }
    switch (event.key) {
      case "?":
        event.preventDefault();
        openHelp();
        break;
      case "/":
        var search = document.querySelector("[data-search]");
        if (search) {
          event.preventDefault();
          search.focus();
          search.select();
        }
        break;
      case "g":
        pendingGo = true;
        goTimer = setTimeout(function () {
          pendingGo = false;
        }, 1500);
        break;
      case "n":
      case "e":
        if (follow('[data-key="' + event.key + '"]')) event.preventDefault();
        break;
      case "j":
      case "k":
        if (moveRow(event.key === "j" ? 1 : -1)) event.preventDefault();
        break;
      case "o":
        if (openRow()) event.preventDefault();
        break;
      case "Enter":
        if (document.activeElement === document.body && openRow()) event.preventDefault();
        break;
      case "x":
        if (toggleRow()) event.preventDefault();
        break;
      case "a":
      case "r":
        if (follow('[data-action-code="' + (event.key === "a" ? "assign" : "resolve") + '"]')) event.preventDefault();
        break;
      case "c":
        var note = document.querySelector(".comment-form textarea");
        if (note) {
          event.preventDefault();
          note.focus();
        }
        break;
      default:
        break;
    }
  });

  // Queue rows: j/k move a highlight, o/Enter open, x selects for bulk actions.
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-rows] tr[data-row]"));
  }

  function currentIndex(list) {
    for (var i = 0; i < list.length; i++) if (list[i].classList.contains("is-current")) return i;
    return -1;
  }

  function moveRow(step) {
    var list = rows();
    if (!list.length) return false;
    var index = currentIndex(list);
    if (index >= 0) list[index].classList.remove("is-current");
    index = Math.max(0, Math.min(list.length - 1, index + step));
    list[index].classList.add("is-current");
    list[index].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openRow() {
    var list = rows();
    var index = currentIndex(list);
    if (index < 0) return false;
    var link = list[index].querySelector("[data-row-link]");
    if (link) link.click();
    return Boolean(link);
  }

  function toggleRow() {
    var list = rows();
    var index = currentIndex(list);
    if (index < 0) return false;
    var box = list[index].querySelector('input[type="checkbox"]');
    if (box) box.checked = !box.checked;
    return Boolean(box);
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest('[data-action="shortcuts"]');
    if (trigger) openHelp();
  });

  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) return;
    var table = all.closest("table");
    Array.prototype.forEach.call(table.querySelectorAll('tbody input[type="checkbox"]'), function (box) {
      box.checked = all.checked;
    });
  });

  // A select marked data-reload-form re-renders its form for the new value (e.g. the attribute
  // fields of a CI type), keeping what was typed.
  document.addEventListener("change", function (event) {
    var el = event.target.closest("[data-reload-form]");
    if (!el || !el.form || !window.htmx) return;
    var form = el.form;
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    params.delete("version");
    window.htmx.ajax("GET", window.location.pathname + "?" + params.toString(), {
      source: form,
      target: form,
      select: "form.record-form",
      swap: "outerHTML",
    });
  });

  // Send the CSRF token with htmx requests that change data.
  document.addEventListener("htmx:configRequest", function (event) {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input && event.detail.verb !== "get") {
      event.detail.headers["X-CSRFToken"] = input.value;
    }
  });
})();
