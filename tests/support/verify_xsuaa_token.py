#!/usr/bin/python3
"""Verifies a bearer token the way a resource server of SAP's XSUAA does, with a third-party library
(PyJWT, Debian's python3-jwt) and nothing but the JWKS: the key is chosen by the token's `kid`, the
signature checked with RS256, `exp`, `iat` and the audience checked. Prints the claims as JSON.

usage: verify_xsuaa_token.py JWKS_FILE TOKEN AUDIENCE
"""
import json
import sys

import jwt


def main(jwks_file, token, audience):
    with open(jwks_file) as f:
        jwks = jwt.PyJWKSet.from_dict(json.load(f))
    header = jwt.get_unverified_header(token)
    keys = [k for k in jwks.keys if k.key_id == header.get("kid")]
    if not keys:
        print(f"no key with kid {header.get('kid')} in the JWKS", file=sys.stderr)
        return 1
    claims = jwt.decode(token, keys[0].key, algorithms=["RS256"], audience=audience,
                        options={"require": ["exp", "iat", "jti", "iss"]})
    print(json.dumps({"header": header, "claims": claims}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:4]))
    except jwt.PyJWTError as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
