#!/usr/bin/env python3
"""Rewrites the examples of RFC 6120 and RFC 6121 as testdata/stanzas/
rfc6120.txt and rfc6121.txt vector files (format: README.md here).

Usage: extract_rfc_examples.py SOURCE...

Each SOURCE is one of the RFCs, either as its xml2rfc source (rfc6120.xml,
rfc6121.xml, as kept by the XMPP Standards Foundation in xsf/rfcs; the
checked-in files were generated from these) or as the published plain
text (rfc6120.txt, rfc6121.txt). The output file, rfcNNNN.txt after the
RFC's number, is written to the current directory (never over SOURCE).
The script reads local files only: nothing is fetched, and the RFC text
itself is not kept in this repository (only the examples, as test data).

In the xml2rfc source each figure is an <artwork>, whole. In the plain
text, the page furniture (footer "... [Page N]", form feed, header "RFC
6120 ... March 2011", and the blank lines padding them) is removed first,
so that figures cut by page breaks are whole again; sections are found by
their headings ("4.9.3.1.  bad-format", "Appendix A.  ..."), and a figure
starts at an indented line that starts with markup (after an optional
line prefix) unless it is prose naming an element or an address
("<proceed/> element", "<juliet@example.com>"); it runs while an element
or tag is open or markup follows, until prose or the next heading (see
txt_figures). Both inputs give the same cases: this was checked on a
paginated rendering of the xml2rfc sources, as the published text could
not be had when the files were generated.

What is taken: every figure of the document is an example unless it is
an XML schema (Appendix A), an ASCII diagram or table (lines starting with
'|' or '+-') or a syntax template (it says OPTIONAL, or holds a
"[<optional element>]" bracket). An example is split into turns by its
line prefixes (`C:`, `S:`, `I:`, `R:`, `E:`, `P:`, `S1:`, `S2:` in RFC 6120;
`UC:`, `US:`, `CS:`, `CC:`, `C:`, `S:` in RFC 6121); the prefix column is
removed from the turn's lines. In a turn, every complete first-level
element becomes one case. Rewrites and omissions:

- the XML declaration, comments and the stream header (`<stream:stream>`
  or `<stream>` in the streams namespace) are dropped, as is
  `</stream:stream>`; text between elements (narrative such as
  "[ ... stream negotiation ... ]") is dropped;
- prefixes the element uses but that were declared on the stream header
  (`stream:`) are declared on the element itself, as xmpp-stream's framer
  hands the element over with its in-scope declarations;
- the content namespace (`ns:` line) is that of the last stream header of
  the example, or else jabber:server in sections about server-to-server
  streams (RFC 6120 §9.2) and jabber:client elsewhere. RFC 6121 has no
  such sections: its `US:`/`CS:` lines are the user's and the contact's
  server, which send each stanza to a client or to the other server
  depending on the example (and the role of "contact" moves between
  domains from section to section), so its examples stay jabber:client;
- trailing spaces are removed from lines, and the line breaks and
  indentation inside base64 SASL data (see join_sasl_data);
- REWRITES below mends a few slips of examples meant to be valid;
- syntax templates (above) and elements still open at the end of their
  turn (the example shows only the start of a stream, or an element cut
  short on purpose) are skipped and counted in the file's header; so are
  elements that are not well-formed XML (the RFC shows some on purpose: a
  missing end tag, an undeclared prefix) and those listed in SKIPS.
  Elisions that leave the element well-formed ("[ ... ]" as text or as an
  attribute value) are kept as they are.

The expectation is derived from the element: message/presence/iq of the
content namespace are `stanza`, or `stanza-error CONDITION` when of type
error; `<stream:error/>` is `stream-error CONDITION`; anything else is
`nonza` (this includes a few child elements that a figure shows on their
own, such as RFC 6121's `<item/>` and `<ver/>`). Several RFC 6120 §8.3.3
error replies (not-acceptable, not-authorized, policy-violation, ...) lack
type='error' (a slip the published text shares); as written they are
ordinary stanzas carrying an <error/> child, and are kept as `stanza` (the
-extra files have error stanzas of those conditions). OVERRIDES below set
another expectation for examples that are deliberately wrong (an RFC shows
them to explain the error they cause), with the reason.

A case's title is the section number and title, the turn's prefix and a
summary of the element (its name and type: "iq get", "stream:error");
repeated titles in a section are numbered.
"""
import html
import os
import re
import sys
import xml.parsers.expat

STREAMS = "http://etherx.jabber.org/streams"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"
CONTENT = ("jabber:client", "jabber:server")

# (rfc, case title) -> expectation, for examples that are wrong on purpose
# or that elide what the crate checks; the reason is the comment.
OVERRIDES = {
    # 'subscribe' is not an iq type: the example shows the stanza that a
    # server answers with <invalid-xml/> (§4.9.3.11) or bad-request
    # (§8.3.3.1); the crate's reading refuses it with bad-request.
    ("6120", "4.9.3.11 invalid-xml: P: iq subscribe"): "invalid bad-request",
    ("6120", "8.3.3.1 bad-request: C: iq subscribe"): "invalid bad-request",
    # 'ch@r@cters@muc.example.com' is the malformed address of §8.3.3.8;
    # the error stanza echoes it in 'from', so it is refused too (and, being
    # of type error, gets no error reply: §8.3.1).
    ("6120", "8.3.3.8 jid-malformed: C: presence"): "invalid jid-malformed",
    ("6120", "8.3.3.8 jid-malformed: E: presence error"): "invalid jid-malformed",
    # "[ ... ]" stands where the SASL data goes: not base64.
    ("6120", "6.5.3 credentials-expired: I: response"): "nonza-invalid",
    ("6120", "6.5.5 incorrect-encoding: I: auth"): "nonza-invalid",
    ("6120", "6.5.6 invalid-authzid: I: response"): "nonza-invalid",
    ("6120", "6.5.8 malformed-request: I: auth"): "nonza-invalid",
    ("6120", "6.5.10 not-authorized: I: response"): "nonza-invalid",
    ("6120", "6.5.11 temporary-auth-failure: I: response"): "nonza-invalid",
}

# (rfc, case title): examples left out, with the reason.
SKIPS = {
    # The message holds an XML comment, the restricted XML that the
    # <restricted-xml/> stream error answers: xmpp-stream's framer refuses
    # it (RFC 6120 §11.1) before there is an element to check.
    ("6120", "4.9.3.18 restricted-xml: C: message"),
}

# (rfc, section, old, new): text of an example replaced before reading it,
# for slips that make an example that is meant to be valid not XML.
REWRITES = [
    # The "offensive" body of the policy-violation example has a bare '&'.
    ("6120", "8.3.3.12", "%#&@^!!!", "%#&amp;@^!!!"),
    # The item to remove is elided; any JID that is not on the roster will
    # do, and the elision itself is not a JID.
    ("6121", "2.5.3", "[ ... non-existent-jid ... ]", "nobody@example.com"),
]

SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
# SASL elements whose character data is base64.
SASL_DATA = ("auth", "challenge", "response", "success")

PREFIX = re.compile(r"^(\s*)([A-Z][A-Z0-9]{0,2}):(?: |$)")


def sections(src):
    """(start, end, number, title, ancestors' titles) of every <section>."""
    out = []
    stack = []
    open_ = []
    counters = []
    appendix = False
    for m in re.finditer(r"<section\b[^>]*>|</section>|<back>", src):
        tag = m.group(0)
        if tag == "<back>":
            appendix = True
            counters = []
            continue
        if tag == "</section>":
            stack.pop()
            open_.pop()[1] = m.end()
            counters = counters[: len(stack) + 1]
            continue
        title = re.search(r"""title=(["'])(.*?)\1""", tag)
        title = " ".join(html.unescape(title.group(2) if title else "").split())
        depth = len(stack)
        counters = counters[: depth + 1]
        while len(counters) <= depth:
            counters.append(0)
        counters[depth] += 1
        parts = [str(n) for n in counters[: depth + 1]]
        if appendix:
            parts[0] = chr(ord("A") + counters[0] - 1)
        stack.append(title)
        out.append([m.start(), len(src), ".".join(parts), title, list(stack)])
        open_.append(out[-1])
    return out


def turns(art):
    """(prefix, text) of each turn of an example."""
    out = []
    cur = None
    for line in art.split("\n"):
        m = PREFIX.match(line)
        if m:
            col = m.end()
            cur = [m.group(2), col, [line[col:]]]
            out.append(cur)
        elif cur is None:
            if line.strip():
                cur = ["", 0, [line]]
                out.append(cur)
        else:
            # Continuation lines are indented past the prefix column.
            k = 0
            while k < cur[1] and k < len(line) and line[k] == " ":
                k += 1
            cur[2].append(line[k:])
    res = []
    for prefix, _, lines in out:
        text = "\n".join(lines)
        if prefix == "":
            # An unprefixed figure: remove its common indentation.
            ind = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
            text = "\n".join(x[ind:] for x in lines)
        res.append((prefix, text.strip("\n")))
    return res


def tag_end(text, at):
    """Offset just past the markup that starts at `at`, or -1."""
    quote = None
    for k in range(at + 1, len(text)):
        c = text[k]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == ">":
            return k + 1
    return -1


def scan(text, ctx):
    """Complete first-level elements of one turn, and the number skipped.

    ctx holds the prefix declarations and the content namespace of the
    last stream header; a stream header in the turn updates it."""
    out, skipped = [], 0
    depth, start, pos = 0, 0, 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            break
        if text.startswith("<?", lt):
            pos = text.find("?>", lt) + 2 if "?>" in text[lt:] else len(text)
            continue
        if text.startswith("<!--", lt):
            end = text.find("-->", lt)
            pos = end + 3 if end >= 0 else len(text)
            continue
        end = tag_end(text, lt)
        if end < 0:
            break
        tag = text[lt:end]
        m = re.match(r"</?\s*([^\s/>]+)", tag)
        name = m.group(1) if m else ""
        pos = end
        if tag.startswith("</"):
            if depth == 0:
                continue  # </stream:stream>, or the end of a cut-off element
            depth -= 1
            if depth == 0:
                out.append(dedent(text[start:end], start - text.rfind("\n", 0, start) - 1))
            continue
        closed = tag.endswith("/>")
        if depth == 0 and not closed and is_stream_header(name, tag):
            for p, uri in re.findall(r"xmlns(?::([\w.-]+))?=['\"]([^'\"]*)['\"]", tag):
                if p:
                    ctx["prefixes"][p] = uri
                elif uri in CONTENT:
                    ctx["ns"] = uri
            continue
        if depth == 0:
            start = lt
            if closed:
                out.append(tag)
                continue
        if not closed:
            depth += 1
    if depth:
        skipped += 1
    return out, skipped


def dedent(x, col):
    """x, an element that starts at column col of its turn, with up to col
    spaces removed from the start of its other lines."""
    lines = x.split("\n")
    for k in range(1, len(lines)):
        line = lines[k]
        n = len(line) - len(line.lstrip(" "))
        lines[k] = line[min(n, col):]
    return "\n".join(lines)


def is_stream_header(name, tag):
    """Whether a start tag opens a stream (prefixed or not)."""
    return name == "stream:stream" or (name == "stream" and STREAMS in tag)


def declare_prefixes(x, prefixes):
    """x with the stream header's prefix declarations it needs."""
    head_end = tag_end(x, 0)
    add = ""
    for p, uri in sorted(prefixes.items()):
        if re.search(r"</?" + re.escape(p) + ":", x) and f"xmlns:{p}=" not in x:
            add += f" xmlns:{p}='{uri}'"
    if not add:
        return x
    name_end = re.match(r"<[^\s/>]+", x).end()
    assert name_end < head_end
    return x[:name_end] + add + x[name_end:]


def read(x, ns):
    """(namespace, local name, attrs, first-level child names) of x, or None
    when it is not well-formed."""
    doc = f"<w xmlns='{ns}'>{x}</w>".encode()
    info = {}
    depth = [0]
    p = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def start(name, attrs):
        depth[0] += 1
        if depth[0] == 2:
            info["name"] = name
            info["attrs"] = attrs
            info["children"] = []
            info["grand"] = []
        elif depth[0] == 3:
            info["children"].append(name)
        elif depth[0] == 4:
            info["grand"].append(name)

    def end(name):
        depth[0] -= 1

    p.StartElementHandler = start
    p.EndElementHandler = end
    try:
        p.Parse(doc, True)
    except xml.parsers.expat.ExpatError:
        return None
    return info


def expectation(info, ns):
    """The `expect:` value of an element read by read()."""
    full = info["name"]
    uri, _, local = full.rpartition(" ")
    if local in ("message", "presence", "iq") and uri == ns:
        if info["attrs"].get("type") == "error":
            conds = [c.split(" ", 1)[1] for c in info["grand"] if c.startswith(STANZAS + " ")]
            conds = [c for c in conds if c != "text"]
            return "stanza-error " + (conds[0] if conds else "undefined-condition")
        return "stanza"
    if uri == STREAMS and local == "error":
        conds = [c.split(" ", 1)[1] for c in info["children"] if c.startswith(STREAM_ERRORS + " ")]
        conds = [c for c in conds if c != "text"]
        return "stream-error " + (conds[0] if conds else "undefined-condition")
    return "nonza"


def summary(x, info):
    """The element's qualified name and type, for the case title."""
    qname = re.match(r"<([^\s/>]+)", x).group(1)
    attrs = info["attrs"]
    if attrs.get("type"):
        return f"{qname} {attrs['type']}"
    return qname


def join_sasl_data(x):
    """x with the line breaks and indentation of its base64 removed, when
    it is a SASL element holding data: RFC 6120 §6.4.x says whitespace in
    its SASL examples is there for readability only, and §9.1.2 that the
    line breaks are not in the data."""
    m = re.match(r"<(auth|challenge|response|success)\b[^>]*>([A-Za-z0-9+/=\s]+)</\1>$", x)
    if not m or SASL not in x[: tag_end(x, 0)]:
        return x
    data = "".join(m.group(2).split())
    return x[: m.start(2)] + data + x[m.end(2):]


def is_template(art):
    """Whether a figure is a syntax template rather than an example."""
    return "OPTIONAL" in art or re.search(r"\[\s*<", art) is not None


def is_figure_of_no_xml(art):
    """Whether a figure is a schema, an ASCII diagram or a table."""
    if "<xs:" in art:
        return True
    return any(re.match(r"\s*(\||\+-)", line) for line in art.split("\n"))


def note(num, why, text):
    """Says on stderr what was skipped."""
    print(f"skipped {num} ({why}): " + " ".join(text.split())[:100], file=sys.stderr)


def xml_figures(src):
    """(section number, title, ancestors' titles, figure) of every
    <artwork> of an xml2rfc source."""
    secs = sections(src)
    for m in re.finditer(r"<artwork[^>]*>\s*<!\[CDATA\[(.*?)\]\]>\s*</artwork>", src, re.S):
        # The innermost section holding the figure.
        sec = [s for s in secs if s[0] < m.start() < s[1]][-1]
        yield sec[2], sec[3], sec[4], m.group(1)


# Page furniture of the plain-text RFCs: footer, form feed, header.
FOOTER = re.compile(r"^\S.*\s\[Page \d+\]\s*$")
HEADER = re.compile(r"^RFC \d+\s{2,}.*\s{2,}\w+ \d{4}\s*$")
HEADING = re.compile(r"^((?:\d+|[A-Z])(?:\.\d+)*)\.\s+(\S.*?)\s*$|^Appendix ([A-Z])\.\s+(\S.*?)\s*$")
# Markup at the start of an indented line, after an optional line prefix;
# a name followed by '@' is a JID in angle brackets, as prose writes them.
FIGURE_START = re.compile(r"^ {3,}(?:[A-Z][A-Z0-9]{0,2}: +)?<(?:[?!]|/?[A-Za-z_][\w.:-]*(?=[\s/>]|$))")


def unpaginate(src):
    """The lines of a plain-text RFC without its page furniture: each page
    break (footer, form feed, header) is removed with the blank lines that
    pad it, so a figure split by a page break is whole again."""
    out = []
    lines = src.replace("\r", "").split("\n")
    k = 0
    while k < len(lines):
        line = lines[k]
        if FOOTER.match(line) or line.startswith("\f") or HEADER.match(line.lstrip("\f")):
            if FOOTER.match(line):
                while out and not out[-1].strip():
                    out.pop()
            k += 1
            if HEADER.match(line.lstrip("\f")) or line.startswith("\f"):
                while k < len(lines) and not lines[k].strip():
                    k += 1
            continue
        out.append(line)
        k += 1
    return out


def open_state(text):
    """(depth, inside a tag) at the end of text: whether an element or a
    tag that starts in text is still open there."""
    depth, pos = 0, 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            return depth, False
        end = tag_end(text, lt)
        if end < 0:
            return depth, True
        tag = text[lt:end]
        pos = end
        if tag.startswith(("<?", "<!")):
            continue
        name = re.match(r"</?\s*([^\s/>]*)", tag).group(1)
        if tag.startswith("</"):
            depth = max(depth - 1, 0)
        elif not tag.endswith("/>") and not (depth == 0 and is_stream_header(name, tag)):
            depth += 1


def is_prose(line):
    """Whether a line that starts with markup is prose that names an
    element or an address: text follows the first complete element on the
    line ("<proceed/> element"), or follows the first tag with no markup
    after it ("<domainpart> (for a server).")."""
    text = PREFIX.sub("", line).strip()
    first = tag_end(text, 0)
    if first > 0 and text[first:].strip() and "<" not in text[first:]:
        return True
    depth, pos = 0, 0
    while True:
        lt = text.find("<", pos)
        if lt < 0 or (depth == 0 and text[pos:lt].strip()):
            return depth == 0 and bool(text[pos:].strip())
        end = tag_end(text, lt)
        if end < 0:
            return False
        tag = text[lt:end]
        pos = end
        if tag.startswith(("<?", "<!")):
            continue
        name = re.match(r"</?\s*([^\s/>]*)", tag).group(1)
        if tag.startswith("</"):
            depth = max(depth - 1, 0)
        elif not tag.endswith("/>") and not (depth == 0 and is_stream_header(name, tag)):
            depth += 1


def txt_figures(src):
    """(section number, title, ancestors' titles, figure) of every example
    of a plain-text RFC. A figure starts at an indented line that starts
    with markup (after a line prefix such as `C:`) and runs while elements
    or tags are open or further markup follows, until prose or the next
    section heading."""
    lines = unpaginate(src)
    titles = {}
    num, title = "", ""
    k = 0
    body = False
    while k < len(lines):
        line = lines[k]
        h = HEADING.match(line)
        if h:
            num = h.group(1) or h.group(3)
            title = h.group(2) or h.group(4)
            titles[num] = title
            body = True
            k += 1
            continue
        if not body or not FIGURE_START.match(line) or is_prose(line):
            k += 1
            continue
        fig = [line]
        k += 1
        while k < len(lines) and not HEADING.match(lines[k]):
            depth, in_tag = open_state("\n".join(turn for _, turn in turns("\n".join(fig))))
            nxt = k
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt >= len(lines) or HEADING.match(lines[nxt]):
                break
            if depth == 0 and not in_tag and not FIGURE_START.match(lines[nxt]):
                break
            if depth and not in_tag and nxt > k and re.match(r"^ {3}[A-Za-z]", lines[nxt]):
                break  # prose after an element cut short on purpose
            fig.extend(lines[k:nxt + 1])
            k = nxt + 1
        parts = num.split(".")
        ancestors = [titles.get(".".join(parts[:n]), "") for n in range(1, len(parts) + 1)]
        yield num, title, ancestors, "\n".join(fig)


def main():
    """Writes rfcNNNN.txt for each RFC named on the command line: an
    xml2rfc source (.xml) or the plain text."""
    for path in sys.argv[1:]:
        src = open(path, encoding="utf-8").read()
        if src.lstrip().startswith("<"):
            rfc = re.search(r'<rfc\b[^>]*\bnumber="(\d+)"', src).group(1)
            figures = xml_figures(src)
            origin = f"xml2rfc source, xsf/rfcs rfc{rfc}.xml"
        else:
            rfc = re.search(r"Request for Comments: (\d+)", src).group(1)
            figures = txt_figures(src)
            origin = f"plain text of RFC {rfc}"
        out = f"rfc{rfc}.txt"
        if os.path.exists(out) and os.path.samefile(path, out):
            sys.exit(f"{path} would be overwritten: run the script elsewhere")
        cases, skipped, used = [], 0, set()
        titles = {}
        for num, title, ancestors, art in figures:
            if is_figure_of_no_xml(art) or "<" not in art:
                continue
            if is_template(art):
                skipped += 1
                note(num, "template", art)
                continue
            for (r, n, old, new) in REWRITES:
                if r == rfc and n == num:
                    art = art.replace(old, new)
            s2s = any("Server-to-Server" in t for t in ancestors)
            ctx = {"prefixes": {"stream": STREAMS}, "ns": "jabber:server" if s2s else "jabber:client"}
            for prefix, text in turns(art):
                elements, n = scan(text, ctx)
                skipped += n
                if n:
                    note(num, "cut off", text)
                for x in elements:
                    x = "\n".join(line.rstrip() for line in x.strip().split("\n"))
                    x = declare_prefixes(x, ctx["prefixes"])
                    x = join_sasl_data(x)
                    info = read(x, ctx["ns"])
                    if info is None:
                        skipped += 1
                        note(num, "not well-formed", x)
                        continue
                    base = f"{num} {title}: " + (f"{prefix}: " if prefix else "") + summary(x, info)
                    titles[base] = titles.get(base, 0) + 1
                    name = base if titles[base] == 1 else f"{base} ({titles[base]})"
                    if (rfc, name) in SKIPS:
                        skipped += 1
                        used.add((rfc, name))
                        note(num, "listed in SKIPS", x)
                        continue
                    exp = OVERRIDES.get((rfc, name), expectation(info, ctx["ns"]))
                    used.add((rfc, name))
                    cases.append((name, ctx["ns"], exp, x))
        for key in list(OVERRIDES) + list(SKIPS):
            if key[0] == rfc and key not in used:
                sys.exit(f"override for a case that is gone: {key}")
        with open(out, "w", encoding="utf-8") as f:
            f.write(f"# Examples of RFC {rfc} ({origin}), rewritten\n"
                    f"# as data by extract_rfc_examples.py; {skipped} templates, cut-off\n"
                    f"# or not well-formed examples were skipped. Do not edit: regenerate.\n\n")
            for name, ns, exp, x in cases:
                f.write(f"=== {name}\n")
                if ns != "jabber:client":
                    f.write(f"ns: {ns}\n")
                f.write(f"expect: {exp}\n{x}\n\n")
        print(rfc, len(cases), "cases,", skipped, "skipped")


main()
