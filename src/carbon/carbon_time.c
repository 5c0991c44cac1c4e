/* carbon_time.c - UTC time for the carbon module: ISO-8601 in and out, and
 * the civil-date arithmetic behind it (no timegm/TZ: the process time zone
 * must never change what a reading means). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/c12_clock.h"
#include "carbon/carbon.h"

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t c12_carbon_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void c12_carbon_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Read exactly n digits at *p; advances *p. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

static int parse_offset(const char *p, int64_t *off_ms)
{
    if (*p == '\0' || *p == 'Z' || *p == 'z') {
        *off_ms = 0;
        return p[0] == '\0' || p[1] == '\0';
    }
    if (*p != '+' && *p != '-') return 0;
    int sign = *p == '-' ? -1 : 1, hh, mm = 0;
    p++;
    if (!digits(&p, 2, &hh)) return 0;
    if (*p == ':') p++;
    if (*p && !digits(&p, 2, &mm)) return 0;
    if (*p || hh > 23 || mm > 59) return 0;
    *off_ms = sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
    return 1;
}

c12_rc c12_carbon_parse_time(const char *s, int64_t *out_ms)
{
    if (!s) return C12_ERR_FORMAT;
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return C12_ERR_FORMAT;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi)) return C12_ERR_FORMAT;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec)) return C12_ERR_FORMAT;
            if (*p == '.') {
                p++;
                int scale = 100, n = 0;
                while (isdigit((unsigned char)*p) && n < 9) {
                    ms += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                    n++;
                }
                if (n == 0) return C12_ERR_FORMAT;
            }
        }
    } else if (*p) {
        return C12_ERR_FORMAT;
    }
    int64_t off;
    if (!parse_offset(p, &off)) return C12_ERR_FORMAT;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60) return C12_ERR_FORMAT;
    int64_t days = c12_carbon_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out_ms = ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000) + ms - off;
    return C12_OK;
}

void c12_carbon_format_time(int64_t ms, char *buf, size_t size)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    c12_carbon_civil_from_days(days, &y, &m, &d);
    snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

int64_t c12_carbon_clock_real(void *ctx)
{
    (void)ctx;
    return c12_clock_real_ms();
}
