/* Progressive enhancement only: every page works without this file. No inline handlers (CSP). */
"use strict";
document.documentElement.classList.add("js");

function renumberRows(container) {
  container.querySelectorAll("[data-row]").forEach(function (row, index) {
    row.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(/^([tnf])(\d+|__i__)/, "$1" + index);
    });
    var remove = row.querySelector("button.remove-row");
    if (remove) {
      remove.value = String(index);
      remove.setAttribute("aria-label", "删除第 " + (index + 1) + " 项成果");
    }
  });
}

function setupEstimateForm() {
  var form = document.getElementById("estimate-form");
  if (!form) { return; }
  var rows = document.getElementById("rows");
  var template = document.getElementById("row-template");
  document.getElementById("add-row").addEventListener("click", function (event) {
    event.preventDefault();
    rows.appendChild(template.content.cloneNode(true));
    renumberRows(rows);
    var added = rows.lastElementChild.querySelector("select.type-select");
    if (added) { added.focus(); }
  });
  rows.addEventListener("click", function (event) {
    var button = event.target.closest("button.remove-row");
    if (!button) { return; }
    event.preventDefault();
    if (rows.querySelectorAll("[data-row]").length > 1) {
      button.closest("[data-row]").remove();
    } else {
      form.reset();
    }
    renumberRows(rows);
  });
  form.addEventListener("submit", function (event) {
    // Only the chosen type's fields travel: disable the other fieldsets (shorter, shareable URL).
    rows.querySelectorAll("[data-row]").forEach(function (row) {
      var type = row.querySelector("select.type-select").value;
      row.querySelectorAll("fieldset.fields").forEach(function (fs) {
        fs.disabled = fs.dataset.type !== type;
      });
    });
    if (event.submitter && event.submitter.name === "remove") { return; }
  });
  // Re-enable after a back navigation restored the page from cache.
  window.addEventListener("pageshow", function () {
    form.querySelectorAll("fieldset.fields").forEach(function (fs) { fs.disabled = false; });
  });
}

function setupPrint() {
  var button = document.getElementById("print-report");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = [];
    document.querySelectorAll(".results details:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
  });
}

// Enter sends, Shift+Enter is a new line; Enter that picks an IME candidate (拼音) does not send.
function isSendKey(event) {
  return event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229;
}

function setupChat() {
  var form = document.getElementById("chat-form");
  if (!form || !window.fetch) { return; }
  var conversation = document.getElementById("conversation");
  var errorBox = document.getElementById("chat-error");
  var textarea = document.getElementById("message");
  var send = document.getElementById("send");
  var examples = document.getElementById("examples");
  textarea.addEventListener("keydown", function (event) {
    if (isSendKey(event)) {
      event.preventDefault();
      if (!send.disabled) { form.requestSubmit(); }
    }
  });
  document.querySelectorAll("form.chip-form").forEach(function (chip) {
    chip.addEventListener("submit", function (event) {
      event.preventDefault();
      textarea.value = chip.querySelector("input[name=message]").value;
      form.requestSubmit();
    });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    var errorText = "";
    if (!textarea.value.trim()) { return; }
    send.disabled = true;
    errorBox.hidden = true;
    var pending = document.createElement("p");
    pending.className = "pending";
    pending.textContent = "正在查询政策条文……";
    conversation.appendChild(pending);
    fetch("/chat?fragment=1", {
      method: "POST",
      body: body,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      credentials: "same-origin"
    }).then(function (response) {
      var isJson = (response.headers.get("content-type") || "").indexOf("json") >= 0;
      return response.text().then(function (text) {
        var html = text;
        if (isJson) {
          try { html = ""; errorText = JSON.parse(text).detail; } catch (e) { errorText = text; }
        }
        return { ok: response.ok && !isJson, status: response.status, html: html };
      });
    }).then(function (result) {
      pending.remove();
      if (result.ok) {
        conversation.insertAdjacentHTML("beforeend", result.html);
        textarea.value = "";
        if (examples) { examples.hidden = true; }
        var last = conversation.lastElementChild;
        // the answer's top in view (not the input box below it)
        if (last) { last.scrollIntoView({ block: "start" }); }
      } else {
        var holder = document.createElement("div");
        holder.innerHTML = result.html;
        errorBox.textContent = errorText || holder.textContent.trim() || ("请求失败（" + result.status + "）");
        errorBox.hidden = false;
      }
    }).catch(function () {
      pending.remove();
      errorBox.textContent = "网络错误，请重试。";
      errorBox.hidden = false;
    }).finally(function () {
      send.disabled = false;
      textarea.focus({ preventScroll: true });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  setupEstimateForm();
  setupPrint();
  setupChat();
});
