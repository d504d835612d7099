"""tests/load.py reads wrk's summary: what the zero-downtime tests and bench.serving count on."""

import pytest

from tests.load import parse_report

# wrk 4.1.0's summary of a run that met failures, with tests/load.lua's line after it.
FAILED_RUN = """\
Running 2m test @ http://127.0.0.1:52035
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    60.29ms   57.66ms 349.78ms   89.48%
    Req/Sec    81.80     30.28   131.00     68.52%
  Latency Distribution
     50%  845.00us
     75%   69.21ms
     90%  118.68ms
     99%    1.20s
  452 requests in 2.84s, 17.15MB read
  Socket errors: connect 0, read 1, write 2, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:    158.97
Transfer/sec:      6.03MB
refused status 502: 3
refused status 504: 1
"""

CLEAN_RUN = """\
Running 10s test @ http://127.0.0.1:8080
  2 threads and 8 connections
  4291 requests in 10.01s, 163.30MB read
Requests/sec:    428.74
Transfer/sec:     16.32MB
"""


def test_failures_are_read_by_kind():
    report = parse_report(FAILED_RUN)
    assert report.requests == 452
    assert report.requests_per_second == 158.97
    assert report.non_2xx == 4
    assert report.refused == {502: 3, 504: 1}
    assert report.socket_errors == {"connect": 0, "read": 1, "write": 2, "timeout": 3}
    assert report.failures() == {
        "status 502": 3,
        "status 504": 1,
        "read": 1,
        "write": 2,
        "timeout": 3,
    }


def test_latency_percentiles_are_in_milliseconds_whatever_wrk_printed():
    assert parse_report(FAILED_RUN).latency_ms == {
        "50%": 0.845,
        "75%": 69.21,
        "90%": 118.68,
        "99%": 1200.0,
    }


def test_a_clean_run_has_no_failures():
    report = parse_report(CLEAN_RUN)
    assert report.non_2xx == 0
    assert report.failures() == {}
    assert report.socket_errors == dict.fromkeys(("connect", "read", "write", "timeout"), 0)


def test_output_without_a_summary_is_refused():
    with pytest.raises(AssertionError, match="no summary"):
        parse_report("unable to connect to 127.0.0.1:1 Connection refused\n")
