/* Runs both exported models on the inputs in vectors.h and compares their outputs with TFLite's. */
#include <stdint.h>
#include <string.h>

#include "kws.h"
#include "speech.h"
#include "vectors.h"

int main(void)
{
    int failed = 0;
    kws_reset();
    memcpy(kws_input(0), kws_test_input, KWS_INPUT0_BYTES);
    failed |= kws_invoke() != KWS_OK;
    failed |= memcmp(kws_output(0), kws_expected_output, KWS_OUTPUT0_BYTES) != 0;

    speech_reset();
    memcpy(speech_input(0), speech_test_input, SPEECH_INPUT0_BYTES);
    failed |= speech_invoke() != SPEECH_OK;
    failed |= (memcmp(speech_output(0), speech_expected_output, SPEECH_OUTPUT0_BYTES) != 0) << 1;
    return failed;
}
