// A data symbol that no library defines: unlike a function, it must be bound
// when the library is loaded, so dlopen() fails with the loader's own message.
extern "C" int switchboard_test_symbol_nobody_defines;

extern "C" __attribute__((visibility("default"))) int switchboard_test_read_missing_symbol()
{
    return switchboard_test_symbol_nobody_defines;
}
