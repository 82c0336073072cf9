// Preloaded into Portkey's gateway by the bench (node --require): its server calls listen(port) with no
// host, which binds every interface; the bench keeps everything on loopback.
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || args[1] === undefined || typeof args[1] === 'function')) {
    const callback = typeof args[1] === 'function' ? args[1] : args[2];
    return listen.call(this, args[0], '127.0.0.1', callback);
  }
  return listen.apply(this, args);
};
