#!/usr/bin/env python3
"""Rewrites the examples of XEP sources (xsf/xeps, xep-NNNN.xml) as
testdata/stanzas/xep-NNNN.txt vector files (format: README.md here).

Usage: extract_xep_examples.py XEPS_CHECKOUT NNNN...

Each <example> is split into its top-level elements with expat; comments
are dropped (RFC 6120 §11.1 forbids them on the wire), examples that are
not XML (placeholders, prose, partial streams) are skipped and counted. Placeholders standing for numbers (XEP-0198's
'some-sequence-number') are replaced by numbers.
The expectation is derived from the element alone: message/presence/iq
are `stanza`, or `stanza-error CONDITION` when of type error; anything
else is `nonza`. Cases listed in OVERRIDES get the expectation written
there, with the reason.
"""
import html
import re
import sys
import xml.parsers.expat

STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
PREFIXES = ("xmlns:stream='http://etherx.jabber.org/streams'",)

# Placeholders some examples use where the protocol has a number.
PLACEHOLDERS = {
    "'some-sequence-number'": "'42'",
    "'another-sequence-number'": "'17'",
}

# (xep, case title) -> expectation, for examples whose content
# our reading rightly refuses; the reason is the comment.
OVERRIDES = {
    # An XEP-0147 URI turned into an iq with no id: RFC 6120 §8.1.3 makes
    # the id REQUIRED on iq stanzas.
    ("0030", "URI Query Types: Service Discovery Information Request: Resulting Stanza"): "invalid bad-request",
    ("0030", "URI Query Types: Service Discovery Items Request: Resulting Stanza"): "invalid bad-request",
}


def start_tag_end(data, at):
    """The offset just past the start tag that begins at `at`."""
    quote = None
    for k in range(at, len(data)):
        c = data[k:k + 1]
        if quote:
            if c == quote:
                quote = None
        elif c in (b"'", b'"'):
            quote = c
        elif c == b">":
            return k + 1
    raise ValueError("unterminated start tag")


def split_elements(text):
    """Top-level elements of text, as (xml, name, attrs, error condition)."""
    wrapper_open = "<wrapper " + " ".join(PREFIXES) + ">"
    doc = wrapper_open + text + "</wrapper>"
    data = doc.encode()
    out = []
    stack = []
    starts = {}

    p = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    p.ordered_attributes = False

    def start(name, attrs):
        depth = len(stack)
        stack.append((name, attrs))
        if depth == 1:
            starts["at"] = p.CurrentByteIndex
            starts["name"] = name
            starts["attrs"] = attrs
            starts["cond"] = None
        elif depth == 3 and name.startswith(STANZAS + " ") and starts.get("cond") is None:
            starts["cond"] = name.split(" ", 1)[1]

    def end(name):
        stack.pop()
        if len(stack) == 1:
            tag_end = start_tag_end(data, starts["at"])
            if data[tag_end - 2:tag_end] == b"/>":
                j = tag_end
            else:
                # At an end tag expat points at its "<".
                j = data.index(b">", p.CurrentByteIndex) + 1
            out.append((data[starts["at"]:j].decode(), starts["name"], starts["attrs"], starts["cond"]))

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.Parse(data, True)
    return out


def expectation(name, attrs, cond):
    local = name.split(" ")[-1]
    ns = name.split(" ")[0] if " " in name else ""
    if local in ("message", "presence", "iq") and ns in ("", "jabber:client", "jabber:server", "jabber:component:accept"):
        if attrs.get("type") == "error":
            return "stanza-error " + (cond or "undefined-condition")
        return "stanza"
    return "nonza"


def main():
    root, xeps = sys.argv[1], sys.argv[2:]
    for num in xeps:
        src = open(f"{root}/xep-{num}.xml", encoding="utf-8").read()
        cases, skipped = [], 0
        section = ""
        pos = 0
        for m in re.finditer(r"<section\d[^>]*topic=['\"]([^'\"]*)['\"]|<example(?:\s+caption=['\"]([^'\"]*)['\"])?[^>]*>\s*<!\[CDATA\[(.*?)\]\]>\s*</example>", src, re.S):
            if m.group(1) is not None:
                section = " ".join(html.unescape(m.group(1)).split())
                continue
            caption, body = m.group(2) or "example", m.group(3)
            caption = " ".join(html.unescape(caption).split())
            for placeholder, number in PLACEHOLDERS.items():
                body = body.replace(placeholder, number)
            body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
            try:
                elements = split_elements(body)
            except Exception:
                skipped += 1
                continue
            for k, (x, name, attrs, cond) in enumerate(elements):
                title = f"{section}: {caption}" + (f" ({k + 1})" if len(elements) > 1 else "")
                exp = OVERRIDES.get((num, title), expectation(name, attrs, cond))
                x = x.replace(" " + PREFIXES[0], "")
                if x.startswith("<stream:") and "xmlns:stream" not in x.split(">", 1)[0]:
                    head, rest = x.split(" ", 1) if " " in x.split(">", 1)[0] else (x.split(">", 1)[0], ">" + x.split(">", 1)[1])
                    x = head + " " + PREFIXES[0] + (" " + rest if not rest.startswith(">") and not rest.startswith("/") else rest)
                cases.append((title, exp, x))
        with open(f"xep-{num}.txt", "w", encoding="utf-8") as f:
            f.write(f"# Examples of XEP-{num} (xsf/xeps xep-{num}.xml), rewritten as data by\n"
                    f"# extract_xep_examples.py; {skipped} examples that are not XML were skipped.\n\n")
            for title, exp, x in cases:
                f.write(f"=== {title}\nexpect: {exp}\n{x}\n\n")
        print(num, len(cases), "cases,", skipped, "skipped")


main()
