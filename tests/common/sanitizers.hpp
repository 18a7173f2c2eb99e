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

}  // namespace fuseguard::test
