"""Independent reference framer for `cargo xtask conformance streams`.

Frames each stream of testdata/streams/ with the standard library's expat
(xml.parsers.expat, namespace-aware) and nothing else: expat decides XML 1.0
and Namespaces in XML well-formedness, and this file adds only the thin
layer of XMPP rules that XML alone does not give:

  RFC 6120 §11.1  no comments, processing instructions, DTDs or entity
                  references other than the predefined ones (expat refuses
                  undefined entities itself once DTDs are refused)
  RFC 6120 §11.6  UTF-8 only (an XML declaration naming another encoding)
  RFC 6120 §4.8   the stream element and namespace, the content namespace
                  of the header, no top-level element in no namespace
  RFC 6120 §4.7.5 a version that is not <major>.<minor> is refused
  RFC 6120 §4.3.3 a new stream (a new document) after <proceed/> (TLS)
                  and <success/> (SASL), as xmpp-stream's golden runner does
  RFC 6120 §4.1   no character data at stream level but white space
  RFC 7395 §3.3   WebSocket: every message (top-level element) is its own
                  document; <open/> opens, <close/> closes, stanzas only
                  inside an open stream, each declaring its own namespace
  XEP-0124 §7     BOSH: every <body> is a document: it opens a stream, its
                  children are the elements, its end closes the stream

Requests on stdin, one JSON object per line: {"name", "path", "transport"}
(tcp, websocket, bosh, bosh-requests). Answers on stdout, one per line:
{"ok": true, "out": "<JSON list of events>"}. Events are normalized so
they can be compared with the framer's golden events: names are local
names with their namespace, attributes are keyed "{namespace}local" (or
"local" in no namespace) with declarations apart in "decls" (prefix ""
for the default namespace).
"""

import json
import sys
import xml.parsers.expat as expat

STREAM_NS = "http://etherx.jabber.org/streams"
FRAMING_NS = "urn:ietf:params:xml:ns:xmpp-framing"
HTTPBIND_NS = "http://jabber.org/protocol/httpbind"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
CONTENT_NS = {"jabber:client", "jabber:server", "jabber:component:accept", "jabber:component:connect"}
SEP = "\x01"
XML_SPACE = b" \t\r\n"


class Refuse(Exception):
    """The layer's refusal (or expat's), ending the stream."""


class Cut(Exception):
    """The current document ended; the next one starts at `at`."""

    def __init__(self, at):
        super().__init__(at)
        self.at = at


def split_name(name):
    if SEP in name:
        ns, local = name.split(SEP, 1)
        return ns, local
    return "", name


def attr_key(name):
    ns, local = split_name(name)
    return "{" + ns + "}" + local if ns else local


def tag_end(data, start):
    """The offset just after the tag starting at `start` (expat has already
    checked it): the first '>' outside a quoted attribute value."""
    quote = None
    for i in range(start + 1, len(data)):
        b = data[i]
        if quote is not None:
            if b == quote:
                quote = None
        elif b in b"\"'":
            quote = b
        elif b == ord(">"):
            return i + 1
    raise Refuse("tag never ends")


class Stream:
    def __init__(self, data, transport):
        self.data = data
        self.transport = transport
        self.events = []
        self.open = False  # a stream is open (header seen, not closed)
        self.closed_tcp = False  # TCP: the stream element has ended
        self.pos = 0  # end of the last token whose end is known
        self.depth = 0
        self.kind = None  # what the current document's root is

    def emit(self, ev):
        self.events.append(ev)

    def run(self):
        base = 0
        try:
            while True:
                try:
                    self.document(base)
                    break
                except Cut as cut:
                    base = cut.at
                    self.pos = max(self.pos, cut.at)
            self.at_end()
        except Refuse as e:
            self.emit({"event": "error", "message": str(e)})
        except expat.ExpatError as e:
            self.emit({"event": "error", "message": "expat: " + str(e)})
        return self.events

    def at_end(self):
        """End of input: fine between documents, or inside an open stream
        after a whole element (a stream may stop unclosed); an error inside
        anything else."""
        tail = self.data[self.pos :]
        if self.depth > (1 if self.kind == "stream" else 0):
            raise Refuse("input ended inside an element")
        if tail.strip(XML_SPACE):
            raise Refuse("input ended inside a token")
        if tail and self.open and self.depth == 1 and self.kind == "stream" and not self.last_is_whitespace():
            self.emit({"event": "whitespace"})

    def last_is_whitespace(self):
        return bool(self.events) and self.events[-1]["event"] == "whitespace"

    def document(self, base):
        """Parses one document starting at `base` until it ends (Cut) or
        the input does."""
        data = self.data
        p = expat.ParserCreate(namespace_separator=SEP)
        p.ordered_attributes = True
        p.buffer_text = False
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.depth = 0
        self.kind = None
        decls = {}
        top = {}  # the top-level element being read
        root = {}

        def restricted(what):
            def handler(*_):
                raise Refuse(what + " (RFC 6120 §11.1)")

            return handler

        p.CommentHandler = restricted("comment")
        p.ProcessingInstructionHandler = restricted("processing instruction")
        p.StartDoctypeDeclHandler = restricted("document type declaration")
        p.EntityDeclHandler = restricted("entity declaration")
        p.SkippedEntityHandler = restricted("entity reference")
        p.ExternalEntityRefHandler = restricted("external entity reference")

        def xml_decl(version, encoding, standalone):
            if encoding is not None and encoding.lower() != "utf-8":
                raise Refuse("encoding " + encoding + " (RFC 6120 §11.6)")

        p.XmlDeclHandler = xml_decl

        def ns_decl(prefix, uri):
            decls[prefix or ""] = uri or ""

        p.StartNamespaceDeclHandler = ns_decl

        def start(name, attrs):
            at = base + p.CurrentByteIndex
            ns, local = split_name(name)
            own = dict(decls)
            decls.clear()
            self.depth += 1
            if self.depth == 1:
                root.update({"start": at, "end": tag_end(data, at)})
                self.kind = self.root(ns, local, attrs, own)
                if self.kind == "message":
                    top.update(begin(ns, local, attrs, own, at))
            elif self.depth == 2 and self.kind == "stream":
                if ns == "":
                    raise Refuse("top-level element in no namespace (RFC 6120 §4.8.2)")
                top.update(begin(ns, local, attrs, own, at))

        def begin(ns, local, attrs, own, at):
            return {"ns": ns, "name": local, "attrs": attrs, "decls": own, "start": at, "end": tag_end(data, at)}

        def finish(started, at):
            end = started["end"]
            if data[end - 2 : end] != b"/>":
                end = tag_end(data, at)
            self.pos = end
            return end

        def end(name):
            at = base + p.CurrentByteIndex
            self.depth -= 1
            top_level = (self.depth == 1 and self.kind == "stream") or (self.depth == 0 and self.kind == "message")
            if top_level:
                end = finish(top, at)
                ev = event("element", top["ns"], top["name"], top["attrs"], top["decls"])
                ev["xml"] = data[top["start"] : end].decode("utf-8")
                self.emit(ev)
                if self.restarts(top["ns"], top["name"]):
                    self.open = False
                    raise Cut(end)
            if self.depth == 0:
                end = finish(root, at)
                if self.kind == "stream":
                    self.emit({"event": "stream-close"})
                    self.open = False
                if self.transport == "tcp":
                    self.closed_tcp = True
                else:
                    raise Cut(end)

        def chars(text):
            if self.depth == 1 and self.kind == "stream":
                if text.strip(" \t\r\n"):
                    raise Refuse("character data at stream level")
                if not self.last_is_whitespace():
                    self.emit({"event": "whitespace"})

        def cdata():
            if self.depth == 1 and self.kind == "stream":
                raise Refuse("CDATA section at stream level")

        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = chars
        p.StartCdataSectionHandler = cdata

        def event(kind, ns, local, attrs, own):
            out = {}
            for i in range(0, len(attrs), 2):
                out[attr_key(attrs[i])] = attrs[i + 1]
            return {"event": kind, "name": local, "ns": ns, "decls": own, "attrs": out}

        self.event = event
        p.Parse(data[base:], False)

    def restarts(self, ns, name):
        """RFC 6120 §4.3.3 as xmpp-stream's golden runner applies it: a new
        stream after <proceed/> and <success/>, but not over BOSH, which
        restarts with xmpp:restart."""
        if self.transport in ("bosh", "bosh-requests"):
            return False
        return (ns, name) in ((TLS_NS, "proceed"), (SASL_NS, "success"))

    def root(self, ns, local, attrs, own):
        """Checks a document's root; returns what it is: "stream" (its
        children are the top-level elements), "message" (a WebSocket
        message: itself the top-level element) or "framing" (<open/>,
        <close/>)."""
        if self.transport == "tcp":
            if self.closed_tcp:
                raise Refuse("a second root element")
            if (ns, local) != (STREAM_NS, "stream"):
                raise Refuse("stream element is not stream:stream (RFC 6120 §4.8.1)")
            content = own.get("")
            if content is not None and content not in CONTENT_NS:
                raise Refuse("content namespace " + content + " (RFC 6120 §4.8.2)")
            self.header(ns, local, attrs, own)
            return "stream"
        if self.transport == "websocket":
            if ns == FRAMING_NS and local == "open":
                if self.open:
                    raise Refuse("<open/> inside an open stream (RFC 7395 §3.4)")
                self.header(ns, local, attrs, own)
                return "framing"
            if ns == FRAMING_NS and local == "close":
                self.open = False
                self.emit({"event": "stream-close"})
                return "framing"
            if not self.open:
                raise Refuse("element before <open/> (RFC 7395 §3.3.3)")
            if ns == "":
                raise Refuse("element in no namespace (RFC 7395 §3.3.3)")
            return "message"
        if (ns, local) != (HTTPBIND_NS, "body"):
            raise Refuse("BOSH wrapper is not <body/> in " + HTTPBIND_NS)
        self.header(ns, local, attrs, own)
        return "stream"

    def header(self, ns, local, attrs, own):
        ev = self.event("stream-open", ns, local, attrs, own)
        version = ev["attrs"].get("version")
        if version is not None:
            major, dot, minor = version.partition(".")
            if not (dot and major.isdigit() and minor.isdigit()):
                raise Refuse("version " + version + " (RFC 6120 §4.7.5)")
        self.emit(ev)
        self.open = True


def main():
    for line in sys.stdin:
        req = json.loads(line)
        with open(req["path"], "rb") as f:
            data = f.read()
        events = Stream(data, req["transport"]).run()
        print(json.dumps({"ok": True, "out": json.dumps(events)}), flush=True)


if __name__ == "__main__":
    main()
