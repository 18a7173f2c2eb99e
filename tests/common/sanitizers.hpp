#pragma once
// Whether the tests run under AddressSanitizer: a few figures (open files,
// resident memory, timing under load) differ there. GCC says so with
// __SANITIZE_ADDRESS__, clang with __has_feature.
namespace fuseguard::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderSanitizers = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderSanitizers = true;
#else
inline constexpr bool kUnderSanitizers = false;
#endif
#else
inline constexpr bool kUnderSanitizers = false;
#endif

// Clang's AddressSanitizer runtime and libfaketime both wrap clock_gettime,
// and a binary with both dies at start ("Unexpected recursive calls to
// clock_gettime() without proper initialization"); GCC's runtime lets
// libfaketime go first.
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kFaketimeUnavailable = true;
#else
inline constexpr bool kFaketimeUnavailable = false;
#endif
#else
inline constexpr bool kFaketimeUnavailable = false;
#endif

}  // namespace fuseguard::test
