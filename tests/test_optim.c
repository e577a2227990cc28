// test_optim.c — the learning-rate schedules and the decoupled weight decay against PyTorch's
// (tests/golden/optim.json, from make_optim_golden.py), and the schedule through the public API.
// Not the optimizers' update rules: test_golden checks those over whole training steps.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aevp.h"
#include "cJSON.h"
#include "ops/optim.h"
#include "testutil.h"

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static void test_schedules(const cJSON *golden) {
    int total = (int)item(golden, "total")->valuedouble;
    double lr = item(golden, "lr")->valuedouble;
    for (const cJSON *s = item(golden, "schedules")->child; s; s = s->next) {
        ae_schedule kind = strncmp(s->string, "onecycle", 8) == 0 ? SCHEDULE_ONECYCLE : SCHEDULE_COSINE;
        double warmup = kind == SCHEDULE_ONECYCLE ? atof(s->string + 9) : 0.3;
        int step = 0;
        double worst = 0;
        for (const cJSON *want = s->child; want; want = want->next, step++) {
            double got = schedule_rate(kind, lr, warmup, step, total);
            double err = fabs(got - want->valuedouble);
            if (err > worst) worst = err;
            CHECK(err <= 1e-12 + 1e-9 * want->valuedouble, "%s step %d: %.17g, torch %.17g", s->string, step, got,
                  want->valuedouble);
        }
        CHECK(step == total, "%s: %d rates", s->string, step);
        printf("%-14s %d rates, largest difference from torch %.3g\n", s->string, step, worst);
    }
    CHECK(schedule_rate(SCHEDULE_CONSTANT, 0.125, 0.3, 7, 20) == 0.125, "constant");
}

static void test_adamw(const cJSON *golden) {
    for (const cJSON *c = item(golden, "adamw")->child; c; c = c->next) {
        int n = cJSON_GetArraySize(item(c, "start"));
        float params[16], grads[16], m1[16] = {0}, m2[16] = {0};
        for (int i = 0; i < n; i++) params[i] = (float)cJSON_GetArrayItem(item(c, "start"), i)->valuedouble;
        int step = 0;
        for (const cJSON *g = item(c, "grads")->child; g; g = g->next) {
            for (int i = 0; i < n; i++) grads[i] = (float)cJSON_GetArrayItem(g, i)->valuedouble;
            optim_step(OPT_ADAM, params, grads, m1, m2, (size_t)n, (float)item(c, "lr")->valuedouble,
                       (float)item(c, "weight_decay")->valuedouble, ++step);
        }
        for (int i = 0; i < n; i++) {
            double want = cJSON_GetArrayItem(item(c, "after"), i)->valuedouble;
            CHECK(fabs(params[i] - want) <= 1e-6 + 1e-5 * fabs(want), "AdamW wd %g param %d: %.9g, torch %.9g",
                  item(c, "weight_decay")->valuedouble, i, params[i], want);
        }
    }
}

// Through the API: a cosine run refuses to step before its length is known, then follows the rate.
static void test_api(void) {
    int status;
    ae_model *m = ae_create("{\"schedule\":\"cosine\",\"learning_rate\":0.01,\"epochs\":2,\"batch_size\":2,"
                            "\"filters\":[2,2],\"latent_grid\":1,\"input\":{\"h\":8,\"w\":8,\"c\":1}}", &status);
    CHECK(m, "create: %s", ae_last_error());
    if (!m) return;
    float images[2 * 64], loss;
    for (int i = 0; i < 128; i++) images[i] = (float)(i % 7) / 7.0f;
    CHECK(ae_train_batch(m, images, 2, &loss) == AE_ERR_ARG && strstr(ae_last_error(), "ae_plan_run"),
          "an unplanned cosine run stepped: %s", ae_last_error());
    CHECK(ae_steps(m) == 0, "the refused step counted");
    CHECK(ae_plan_run(m, 0) == AE_ERR_ARG, "a run of no steps accepted");
    CHECK(ae_plan_run(m, 5) == AE_OK, "plan: %s", ae_last_error());
    for (int s = 0; s < 10; s++) {
        double want = 0.01 * 0.5 * (1 + cos(3.14159265358979323846 * s / 10.0));
        CHECK(fabs(ae_learning_rate(m) - want) < 1e-15, "step %d: rate %.17g, want %.17g", s, ae_learning_rate(m), want);
        CHECK(ae_train_batch(m, images, 2, &loss) == AE_OK, "step %d: %s", s, ae_last_error());
    }
    // Trained further from here, the schedule starts again: the first rate of a new run.
    CHECK(ae_begin_run(m) == AE_OK && fabs(ae_learning_rate(m) - 0.01) < 1e-15, "a new run's first rate %.17g",
          ae_learning_rate(m));
    ae_destroy(m);
}

int main(int argc, char **argv) {
    test_init(argc, argv);
    char path[1024];
    size_t len = 0;
    char *text = (char *)test_read_file(test_path(path, sizeof path, "tests/golden/optim.json"), &len);
    CHECK(text, "cannot read %s", path);
    cJSON *golden = text ? cJSON_Parse(text) : NULL;
    CHECK(golden, "%s is not JSON", path);
    if (golden) {
        test_schedules(golden);
        test_adamw(golden);
    }
    test_api();
    cJSON_Delete(golden);
    free(text);
    return test_finish("test_optim");
}
