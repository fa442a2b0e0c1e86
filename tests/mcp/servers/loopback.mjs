// Preloaded (node --import) into a server that listens on the port in $PORT
// on every interface (@modelcontextprotocol/server-everything's HTTP modes):
// it listens on 127.0.0.1 instead, and with PORT=0 on a free port, which it
// writes as "listening on PORT" on standard output once it listens.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
    if ((typeof args[0] === 'number' || typeof args[0] === 'string') && typeof args[1] !== 'string')
        args.splice(1, 0, '127.0.0.1');
    this.once('listening', () => process.stdout.write(`listening on ${this.address().port}\n`));
    return listen.apply(this, args);
};
