/**
 * The course-enrolment example as a Spring Boot application, on the starter: {@link
 * dev.outbox.examples.spring.SpringEnrollmentApp}.
 */
package dev.outbox.examples.spring;
