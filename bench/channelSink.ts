import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Plays the Bot Framework channel for the bench: takes every reply the bot posts and answers 200. Run as a child process. */

let replies = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    replies++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"1"}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'count') process.send?.({ replies });
});
process.on('disconnect', () => process.exit(0));
