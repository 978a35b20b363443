const http = require("http");
const url = require("url");

const port = process.env.PORT || 8080;
const routes = {};

function route(method, path, handler) {
  routes[method + " " + path] = handler;
}

route("GET", "/health", (req, res) => {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ status: "ok" }));
});

const server = http.createServer((req, res) => {
  const { pathname } = url.parse(req.url);
  const handler = routes[req.method + " " + pathname];
  if (!handler) {
    res.writeHead(404);
    return res.end("not found");
  }
  handler(req, res);
});

server.listen(port, () => console.log(`listening on ${port}`));
