// The showcase's browser side: the item form posts JSON to the API, and the chat page joins its room's WebSocket.
"use strict";

// The API's error body ({"detail": ..., "errors": {field: reason}}) as a sentence.
function describeError(body) {
  const reasons = Object.entries(body.errors || {}).map(([field, reason]) => `${field}: ${reason}`);
  return reasons.length ? `${body.detail}. ${reasons.join("; ")}.` : `${body.detail}.`;
}

function addItemForm(form) {
  const result = document.getElementById("item-result");

  function report(text, isError) {
    result.textContent = text;
    result.className = isError ? "error" : "";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    let response;
    try {
      response = await fetch(form.dataset.api, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: data.get("name"), price: Number(data.get("price")) }),
      });
    } catch (error) {
      report(`Could not reach the server (${error.message}).`, true);
      return;
    }
    const body = await response.json().catch(() => null);
    if (!response.ok || body === null) {
      const fallback = `Could not add the item: ${response.status} ${response.statusText}.`;
      report(body !== null && typeof body.detail === "string" ? describeError(body) : fallback, true);
      return;
    }
    const link = document.createElement("a");
    link.href = response.headers.get("location");
    link.textContent = body.name;
    const item = document.createElement("li");
    item.append(link, ` · ${body.price.toFixed(2)}`);
    document.getElementById("items").append(item);
    report(`created #${body.id}`, false);
    form.reset();
  });
}

// The chat connects as soon as the page shows and stays connected while it does: everyone in the room sees who
// is here. A guest who types a name reconnects under it. The page leaves the room when the browser hides it,
// also into its back/forward cache, and joins again if the page comes back from there.
function joinChat(section) {
  const messages = document.getElementById("messages");
  const presence = document.getElementById("presence");
  const nameInput = document.getElementById("chat-name");
  const textInput = document.getElementById("chat-text");
  let socket = null;
  let socketName = "";  // the guest name the connection was opened with

  function show(text, className) {
    const line = document.createElement("li");
    line.textContent = text;
    if (className) line.className = className;
    messages.append(line);
    messages.scrollTop = messages.scrollHeight;
  }

  function guestName() {
    return nameInput ? nameInput.value.trim() : "";
  }

  // Closed on purpose: its events are no longer this page's business.
  function disconnect() {
    if (socket === null) return;
    const closing = socket;
    socket = null;
    closing.close(1000);
  }

  function connect() {
    disconnect();
    const url = new URL(section.dataset.url, window.location.href);
    socketName = guestName();
    if (socketName) url.searchParams.set("name", socketName);
    const current = new WebSocket(url);
    socket = current;
    current.addEventListener("message", (event) => {
      if (socket !== current) return;
      const message = JSON.parse(event.data);
      if (message.type === "message") {
        show(`${message.user}: ${message.text}`);
        return;
      }
      show(`${message.user} ${message.type === "join" ? "joined" : "left"} (${message.members} here)`, "event");
      const others = message.members - 1;  // the count includes this page
      presence.textContent = `${others} other${others === 1 ? "" : "s"} here now.`;
    });
    current.addEventListener("close", () => {
      if (socket !== current) return;
      socket = null;
      presence.textContent = "Disconnected: send a message to join again.";
      show("disconnected", "event");
    });
    return current;
  }

  function send(text) {
    const target = socket === null || guestName() !== socketName ? connect() : socket;
    if (target.readyState === WebSocket.OPEN) target.send(text);
    else target.addEventListener("open", () => target.send(text), { once: true });
  }

  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textInput.value;
    textInput.value = "";
    if (text.trim()) send(text);
  });
  if (nameInput) {
    nameInput.addEventListener("change", () => {
      if (socket !== null && guestName() !== socketName) connect();
    });
  }
  window.addEventListener("pagehide", disconnect);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) connect();  // back from the back/forward cache (a fresh load connects below)
  });
  connect();
}

document.addEventListener("DOMContentLoaded", () => {
  const itemForm = document.getElementById("item-form");
  if (itemForm) addItemForm(itemForm);
  const chat = document.getElementById("chat");
  if (chat) joinChat(chat);
});
