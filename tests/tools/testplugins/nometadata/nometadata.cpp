// A shared library that is not a Qt plugin: it has no metadata to read.
extern "C" __attribute__((visibility("default"))) int switchboard_test_not_a_plugin()
{
    return 42;
}
