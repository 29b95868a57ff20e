#!/usr/bin/env python3
"""Write a DLP benchmark corpus: log, JSON and configuration lines with planted values.

Every planted value is valid for its kind (check digits are computed here) and fake. Each
one is recorded in planted.jsonl beside the corpus with its file, byte span, line and
kind, so recall can be measured. Look-alikes (order numbers, timestamps, UUIDs, phone
numbers, versions, hex digests) fill the lines between them.

Usage: generate_corpus.py --out DIR [--size-mb 200] [--files 100] [--seed 20261204]
The same seed and sizes give byte-identical files.
"""

import argparse
import base64
import json
import os
import random
import string
import sys

HEX = "0123456789abcdef"
UPPER = string.ascii_uppercase
ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"

# Card schemes: (brand, prefixes, lengths).
SCHEMES = [
    ("visa", ["4"], [13, 16, 19]),
    ("mastercard", ["51", "53", "55", "2221", "2410", "2720"], [16]),
    ("amex", ["34", "37"], [15]),
    ("discover", ["6011", "644", "65"], [16, 19]),
    ("jcb", ["3528", "3566", "3589"], [16]),
    ("diners", ["300", "36", "38"], [14]),
    ("unionpay", ["628"], [16, 19]),
    ("maestro", ["5018", "6304", "6759"], [16]),
]

# Country, BBAN layout (n digits, a capitals, c capitals or digits), from the IBAN registry.
IBAN_FORMATS = [
    ("DE", "8n10n"), ("GB", "4a6n8n"), ("FR", "5n5n11c2n"), ("ES", "4n4n1n1n10n"),
    ("IT", "1a5n5n12c"), ("NL", "4a10n"), ("BE", "3n7n2n"), ("CH", "5n12c"),
    ("AT", "5n11n"), ("PL", "8n16n"), ("SE", "3n16n1n"), ("NO", "4n6n1n"),
    ("DK", "4n9n1n"), ("FI", "3n11n"), ("IE", "4a6n8n"), ("PT", "4n4n11n2n"),
    ("LU", "3n13c"), ("SA", "2n18c"), ("AE", "3n16n"), ("TR", "5n1n16c"),
    ("BR", "8n5n10n1a1c"), ("MT", "4a5n18c"), ("KW", "4a22c"), ("MU", "4a2n2n12n3n3a"),
]


def luhn_digit(payload):
    total = 0
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def card(rng):
    brand, prefixes, lengths = rng.choice(SCHEMES)
    length = rng.choice(lengths)
    payload = rng.choice(prefixes)
    payload += "".join(rng.choice(string.digits) for _ in range(length - len(payload) - 1))
    number = payload + luhn_digit(payload)
    layout = rng.choice(["plain", "space", "dash"])
    if layout == "plain":
        return number
    if length == 15:
        sizes = [4, 6, 5]
    elif length == 14:
        sizes = [4, 6, 4]
    else:
        sizes = [4] * (length // 4) + ([length % 4] if length % 4 else [])
    groups, start = [], 0
    for size in sizes:
        groups.append(number[start:start + size])
        start += size
    return (" " if layout == "space" else "-").join(groups)


def bban(rng, layout):
    out, count = [], ""
    for char in layout:
        if char.isdigit():
            count += char
            continue
        alphabet = {"n": string.digits, "a": UPPER}.get(char, UPPER + string.digits)
        out.extend(rng.choice(alphabet) for _ in range(int(count)))
        count = ""
    return "".join(out)


def iban(rng):
    country, layout = rng.choice(IBAN_FORMATS)
    body = bban(rng, layout)
    remainder = int("".join(str(int(c, 36)) for c in body + country + "00")) % 97
    value = f"{country}{98 - remainder:02d}{body}"
    if rng.random() < 0.5:
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return value


def routing_number(rng):
    prefix = rng.choice(["01", "02", "03", "07", "11", "12", "21", "26", "31", "61", "67", "80"])
    payload = prefix + "".join(rng.choice(string.digits) for _ in range(6))
    weights = [3, 7, 1, 3, 7, 1, 3, 7]
    total = sum(int(d) * w for d, w in zip(payload, weights))
    return payload + str((10 - total % 10) % 10)


def ssn(rng):
    area = rng.randint(1, 899)
    if area == 666:
        area = 667
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def bic(rng):
    code = "".join(rng.choice(UPPER) for _ in range(4))
    code += rng.choice(["DE", "FR", "GB", "US", "CH", "NL", "SG"])
    code += "".join(rng.choice(UPPER + string.digits) for _ in range(2))
    if rng.random() < 0.5:
        code += "".join(rng.choice(UPPER + string.digits) for _ in range(3))
    return code


def word(rng, length):
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


def mixed(rng, alphabet, length):
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(length))
        if (any(c.isupper() for c in value) and any(c.islower() for c in value)
                and any(c.isdigit() for c in value)):
            return value


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(rng):
    header = b64url(b'{"alg":"RS256","typ":"JWT"}')
    claims = json.dumps({"sub": str(rng.randint(1, 10**9)), "iat": 1733356800,
                         "scope": "payments:read"}, separators=(",", ":"))
    signature = b64url(bytes(rng.getrandbits(8) for _ in range(64)))
    return f"{header}.{b64url(claims.encode())}.{signature}"


def pem(rng):
    body = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(384))).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    label = rng.choice(["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"])
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def secret_password(rng):
    """Return a 14-character password of distinct characters (log2(14) = 3.8 bits each),
    the high-entropy kind the generic detector looks for."""
    while True:
        value = "".join(rng.sample(ALNUM, 12)) + rng.choice("#%^*!") + rng.choice(string.digits)
        if (len(set(value)) == len(value) and any(c.isupper() for c in value)
                and any(c.islower() for c in value)):
            return value


# Kind, the text before the value, the value generator and the text after the value.
PLANTS = [
    ("card-number", "payment card ", card),
    ("card-number", "charged visa card ", card),
    ("iban", "payout to IBAN ", iban),
    ("aba-routing-number", "ACH routing number ", routing_number),
    ("us-ssn", "applicant ssn ", ssn),
    ("swift-bic", "beneficiary SWIFT: ", bic),
    ("email-address", "notify ", lambda r: f"{word(r, 6)}.{word(r, 5)}@{word(r, 7)}.example.com"),
    ("aws-access-key-id", "aws_access_key_id=", lambda r: "AKIA" + "".join(r.choice(UPPER + string.digits) for _ in range(16))),
    ("aws-secret-access-key", "aws_secret_access_key=", lambda r: mixed(r, BASE64, 40)),
    ("github-token", "git push with ", lambda r: r.choice(["ghp_", "gho_", "ghs_"]) + "".join(r.choice(ALNUM) for _ in range(36))),
    ("gitlab-token", "gitlab auth ", lambda r: "glpat-" + "".join(r.choice(ALNUM) for _ in range(20))),
    ("slack-token", "slack bot ", lambda r: f"xoxb-{r.randint(10**11, 10**12 - 1)}-{r.randint(10**12, 10**13 - 1)}-" + "".join(r.choice(ALNUM) for _ in range(24))),
    ("slack-webhook", "alert hook ", lambda r: "https://hooks.slack.com/services/T" + "".join(r.choice(UPPER + string.digits) for _ in range(8)) + "/B" + "".join(r.choice(UPPER + string.digits) for _ in range(10)) + "/" + "".join(r.choice(ALNUM) for _ in range(24))),
    ("stripe-key", "stripe client key ", lambda r: "sk_live_" + "".join(r.choice(ALNUM) for _ in range(24))),
    ("jwt", "Authorization: Bearer ", jwt),
    ("private-key", "", pem),
    ("generic-secret", 'db_password="', secret_password, '"'),
]


def filler_line(rng, line_number):
    """Return one line of ordinary log, JSON or configuration text with look-alikes."""
    kind = rng.randrange(8)
    ts = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z"
    uuid = "-".join("".join(rng.choice(HEX) for _ in range(n)) for n in (8, 4, 4, 4, 12))
    if kind == 0:
        return (f"{ts} INFO request_id={uuid} method=GET path=/api/v1/orders/{rng.randint(10**9, 10**10)} "
                f"status=200 duration_ms={rng.randint(1, 900)} client=10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    if kind == 1:
        return json.dumps({"ts": ts, "event": "payment.settled", "order": f"ORD-2026-{rng.randint(0, 999999):06d}",
                           "amount": round(rng.uniform(1, 5000), 2), "currency": "EUR",
                           "trace": "".join(rng.choice(HEX) for _ in range(32))})
    if kind == 2:
        return f"commit {''.join(rng.choice(HEX) for _ in range(40))} deployed ledger:v1.{rng.randint(0, 40)}.{rng.randint(0, 99)}"
    if kind == 3:
        return f"{ts} WARN callback to +1 415-555-{rng.randint(0, 9999):04d} failed, retry {rng.randint(1, 5)} of 5"
    if kind == 4:
        return f"order number {rng.randint(10**15, 10**16 - 1)} shipped, tracking {rng.randint(10**11, 10**12)}"
    if kind == 5:
        return f"image sha256:{''.join(rng.choice(HEX) for _ in range(64))} pulled in {rng.randint(100, 9000)} ms"
    if kind == 6:
        return f"service.timeout_secs = {rng.randint(1, 120)}  # line {line_number}, epoch {1733356800000 + rng.randint(0, 10**9)}"
    return f"{ts} DEBUG cache hit ratio {rng.random():.4f} for tenant {uuid}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory to write the corpus into")
    parser.add_argument("--size-mb", type=int, default=200, help="total size in MB (10^6 bytes)")
    parser.add_argument("--files", type=int, default=100, help="number of files")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--plant-every", type=int, default=50,
                        help="one planted value per this many lines on average")
    args = parser.parse_args()
    if args.size_mb < 1 or args.files < 1:
        sys.exit("error: --size-mb and --files must be at least 1")

    rng = random.Random(args.seed)
    corpus = os.path.join(args.out, "corpus")
    os.makedirs(corpus, exist_ok=True)
    per_file = args.size_mb * 1_000_000 // args.files
    planted_path = os.path.join(args.out, "planted.jsonl")
    with open(planted_path, "w", encoding="ascii") as planted:
        for index in range(args.files):
            name = f"part-{index:04d}.log"
            parts, size, line = [], 0, 1
            while size < per_file:
                if rng.randrange(args.plant_every) == 0:
                    kind, before, make, *after = rng.choice(PLANTS)
                    value = make(rng)
                    start = size + len(before)
                    text = f"{before}{value}{''.join(after)}"
                    planted.write(json.dumps({"file": name, "kind": kind, "start": start,
                                              "end": start + len(value), "line": line,
                                              "value": value}) + "\n")
                else:
                    text = filler_line(rng, line)
                text += "\n"
                parts.append(text)
                size += len(text)
                line += text.count("\n")
            with open(os.path.join(corpus, name), "w", encoding="ascii") as out:
                out.write("".join(parts))
    print(f"wrote {args.files} files of about {per_file} bytes to {corpus}; planted values in {planted_path}")


if __name__ == "__main__":
    main()
