const list = document.querySelector("#todos");
const form = document.querySelector("form");
let items = JSON.parse(localStorage.getItem("todos") || "[]");

function render() {
  list.innerHTML = "";
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = item.text;
    if (item.done) {
      li.classList.add("done");
    }
    li.addEventListener("click", () => toggle(item.id));
    list.appendChild(li);
  }
}

function toggle(id) {
  items = items.map((i) => (i.id === id ? { ...i, done: !i.done } : i));
  localStorage.setItem("todos", JSON.stringify(items));
  render();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = form.elements.text.value.trim();
  if (text) {
    items.push({ id: Date.now(), text, done: false });
    toggle(null);
  }
});
