// The showcase's browser side: the item form posts JSON to the API, and the chat page joins its room's WebSocket.
"use strict";

function addItemForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const response = await fetch(form.dataset.api, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: data.get("name"), price: Number(data.get("price")) }),
    });
    const body = await response.json();
    const result = document.getElementById("item-result");
    if (!response.ok) {
      result.textContent = JSON.stringify(body.errors || body.detail);
      return;
    }
    const link = document.createElement("a");
    link.href = response.headers.get("location");
    link.textContent = body.name;
    const item = document.createElement("li");
    item.append(link, ` · ${body.price.toFixed(2)}`);
    document.getElementById("items").append(item);
    result.textContent = `created #${body.id}`;
    form.reset();
  });
}

function joinChat(section) {
  const messages = document.getElementById("messages");
  const nameInput = document.getElementById("chat-name");
  const textInput = document.getElementById("chat-text");
  let socket = null;

  function show(text, className) {
    const line = document.createElement("li");
    line.textContent = text;
    if (className) line.className = className;
    messages.append(line);
    messages.scrollTop = messages.scrollHeight;
  }

  function connect() {
    const url = new URL(section.dataset.url);
    if (nameInput && nameInput.value) url.searchParams.set("name", nameInput.value);
    socket = new WebSocket(url);
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "message") show(`${message.user}: ${message.text}`);
      else show(`${message.user} ${message.type === "join" ? "joined" : "left"} (${message.members} here)`, "event");
    });
    socket.addEventListener("close", () => show("disconnected", "event"));
  }

  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (socket === null || socket.readyState > WebSocket.OPEN) connect();
    const text = textInput.value;
    textInput.value = "";
    if (socket.readyState === WebSocket.OPEN) socket.send(text);
    else socket.addEventListener("open", () => socket.send(text), { once: true });
  });
  if (!nameInput) connect();  // logged in: the server knows the name
}

document.addEventListener("DOMContentLoaded", () => {
  const itemForm = document.getElementById("item-form");
  if (itemForm) addItemForm(itemForm);
  const chat = document.getElementById("chat");
  if (chat) joinChat(chat);
});
