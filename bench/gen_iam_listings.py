#!/usr/bin/env python3
"""CloudTrail IAM listings for bench/scaling.sh, as JSON lines on standard output.

  gen_iam_listings.py bursts N   N principals, each making six listings within six seconds,
                                 the principals spread over 50 minutes (each fires the burst
                                 correlation once)
  gen_iam_listings.py flood N    one principal making N listings evenly over one hour
"""
import json
import sys

NAMES = ["ListUsers", "ListRoles", "ListGroups", "ListPolicies", "GetAccountAuthorizationDetails",
         "ListAccessKeys"]


def record(principal, name, second, event_id, ip):
    return {
        "eventVersion": "1.08", "eventSource": "iam.amazonaws.com", "eventName": name,
        "eventTime": "2026-11-01T%02d:%02d:%02dZ" % (second // 3600, second // 60 % 60, second % 60),
        "awsRegion": "us-east-1", "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.0 md/command#iam.list-users",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDA%012d" % principal,
                         "arn": "arn:aws:iam::123456789012:user/u%d" % principal,
                         "accountId": "123456789012", "userName": "u%d" % principal},
        "eventID": event_id, "eventType": "AwsApiCall", "recipientAccountId": "123456789012",
        "readOnly": True, "requestParameters": None, "responseElements": None}


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    out = sys.stdout
    if mode == "bursts":
        for i in range(n):
            for k, name in enumerate(NAMES):
                second = (i * 50 // n) * 60 + k
                out.write(json.dumps(record(i, name, second, "e%d-%d" % (i, k),
                                            "198.51.100.%d" % (i % 250 + 1))) + "\n")
    elif mode == "flood":
        for i in range(n):
            out.write(json.dumps(record(1, NAMES[i % 6], i * 3600 // n, "e%d" % i,
                                        "198.51.100.7")) + "\n")
    else:
        sys.exit("usage: gen_iam_listings.py bursts|flood N")


main()
