/*
 * Keeps the NativeAOT binary within a glibc 2.28 floor (UOS 20).
 *
 * glibc 2.29 gave exp, exp2, log, log2, pow (and the float variants) new, faster implementations under new symbol
 * versions; a binary linked against glibc >= 2.29 that calls log() needs log@GLIBC_2.29 and does not start on
 * 2.28. The .NET runtime's static libraries call log(), so a binary linked in a bullseye (2.31) image needs it.
 * Linked with -Wl,--wrap=log, every call to log() goes to __wrap_log below, which calls the symbol version every
 * glibc since the architecture's first release exports. The old implementation returns the same values for
 * valid inputs; it differs only in setting errno for log(0) and log(<0) through the SVID error handler.
 */
#if defined(__x86_64__)
#define LOG_OLD_VERSION "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define LOG_OLD_VERSION "GLIBC_2.17"
#else
#error "glibc-compat/log.c: unknown architecture"
#endif

double log_before_glibc_2_29(double);
__asm__(".symver log_before_glibc_2_29, log@" LOG_OLD_VERSION);

double __wrap_log(double x)
{
    return log_before_glibc_2_29(x);
}
