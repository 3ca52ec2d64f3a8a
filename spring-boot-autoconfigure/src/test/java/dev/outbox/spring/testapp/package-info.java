/** A Spring Boot application of the kind a user writes, which the starter's tests run. */
package dev.outbox.spring.testapp;
